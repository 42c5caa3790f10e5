namespace SkFallback.Proxy.Configuration;

/// <summary>The gateway's configuration is invalid; <see cref="Errors"/> has one message per problem, each naming its key.</summary>
internal sealed class GatewayConfigurationException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="GatewayConfigurationException"/> class.</summary>
    public GatewayConfigurationException()
        : this([])
    {
    }

    /// <summary>Initializes a new instance of the <see cref="GatewayConfigurationException"/> class.</summary>
    /// <param name="message">The message.</param>
    public GatewayConfigurationException(string message)
        : this([message])
    {
    }

    /// <summary>Initializes a new instance of the <see cref="GatewayConfigurationException"/> class.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public GatewayConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [message];
    }

    /// <summary>Initializes a new instance of the <see cref="GatewayConfigurationException"/> class.</summary>
    /// <param name="errors">The problems.</param>
    public GatewayConfigurationException(IReadOnlyList<string> errors)
        : base("The gateway configuration is invalid:" + string.Concat((errors ?? []).Select(e => Environment.NewLine + "  - " + e)))
    {
        Errors = errors ?? [];
    }

    /// <summary>Gets the problems.</summary>
    public IReadOnlyList<string> Errors { get; }
}
