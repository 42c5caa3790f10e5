using Microsoft.AspNetCore.Builder;
using SkFallback.Simulator;

namespace SkFallback.Proxy;

/// <summary>How to start a <see cref="GatewayServer"/>: command-line arguments, plus hooks for hosts and tests.</summary>
internal sealed class GatewayStartOptions
{
    /// <summary>Gets or sets the command-line arguments (configuration overrides such as <c>--urls</c> or <c>--SkFallback:Proxy:DrainTimeout=00:00:05</c>).</summary>
    public string[] Args { get; set; } = [];

    /// <summary>Gets or sets configuration added last (tests), keys as in <c>appsettings.json</c> joined with <c>:</c>.</summary>
    public IDictionary<string, string?>? Configuration { get; set; }

    /// <summary>Gets or sets the clock for key rate windows and the chains; <see cref="TimeProvider.System"/> by default.</summary>
    public TimeProvider? TimeProvider { get; set; }

    /// <summary>Gets or sets the simulator to serve offline; one is started (and owned) when offline and not set.</summary>
    public ProviderSimulator? Simulator { get; set; }

    /// <summary>Gets or sets a value indicating whether to log to the console.</summary>
    /// <value>Defaults to <see langword="true"/>.</value>
    public bool ConsoleLogging { get; set; } = true;

    /// <summary>Gets or sets a hook to adjust the host before it is built.</summary>
    public Action<WebApplicationBuilder>? ConfigureBuilder { get; set; }
}
