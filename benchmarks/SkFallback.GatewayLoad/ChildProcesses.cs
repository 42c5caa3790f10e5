using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace SkFallback.GatewayLoad;

/// <summary>
/// The simulator and the gateway as processes of their own (<c>--processes</c>), started from this program's output
/// folder (both are referenced executables), so that the gateway's CPU is its process's alone. The gateway serves the
/// offline chains' <c>default</c> chain (OpenAI primary, Anthropic and mini backups) over the simulator, with a key, the
/// dashboard on and the shipped appsettings.json (logging as in production). Both are killed on dispose.
/// </summary>
internal sealed class ChildProcesses : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private readonly Process _simulator;
    private readonly Process _gateway;

    private ChildProcesses(Process simulator, Uri simulatorBase, Process gateway, Uri gatewayBase)
    {
        _simulator = simulator;
        _gateway = gateway;
        SimulatorOpenAI = new Uri(simulatorBase, "v1/");
        GatewayOpenAI = new Uri(gatewayBase, "v1/");
    }

    /// <summary>Gets the simulator's OpenAI base address.</summary>
    public Uri SimulatorOpenAI { get; }

    /// <summary>Gets the gateway's OpenAI base address.</summary>
    public Uri GatewayOpenAI { get; }

    /// <summary>Gets the gateway's process id.</summary>
    public int GatewayPid => _gateway.Id;

    /// <summary>Starts both and waits until each listens.</summary>
    /// <param name="key">The gateway key the requests present.</param>
    /// <param name="metrics">Whether <c>/metrics</c> is on.</param>
    /// <param name="gatewayEnvironment">Extra environment of the gateway (NAME=VALUE), e.g. <c>DOTNET_gcServer=1</c>.</param>
    /// <returns>The running pair.</returns>
    public static async Task<ChildProcesses> StartAsync(string key, bool metrics, IEnumerable<string> gatewayEnvironment)
    {
        var folder = AppContext.BaseDirectory;
        var simulator = Start(Path.Combine(folder, "SkFallback.Simulator.dll"), ["--port", "0"], []);
        try
        {
            var simulatorBase = new Uri((await WaitForLineAsync(simulator, line => line.StartsWith("http://", StringComparison.Ordinal))).Trim());
            var hash = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
            string[] gatewayArgs =
            [
                "--urls", "http://127.0.0.1:0",
                .. Provider(0, "openai", "OpenAI", "gpt-4o-2024-08-06", "sim-openai-key", new Uri(simulatorBase, "v1/")),
                .. Provider(1, "anthropic", "Anthropic", "claude-haiku-4-5-20251001", "sim-anthropic-key", simulatorBase),
                .. Provider(2, "openai-mini", "OpenAI", "gpt-4o-mini-2024-07-18", "sim-openai-key", new Uri(simulatorBase, "v1/")),
                "--SkFallback:Chains:default:AttemptTimeout=00:00:30", "--SkFallback:Chains:default:FirstTokenTimeout=00:00:05",
                "--SkFallback:Chains:default:Streaming:StallTimeout=00:00:05",
                "--SkFallback:Proxy:Keys:0:Id=load", $"--SkFallback:Proxy:Keys:0:Hash={hash}", "--SkFallback:Proxy:Keys:0:Tenant=load",
                $"--SkFallback:Proxy:Dashboard:AdminKeyHash={hash}", $"--SkFallback:Proxy:Metrics={(metrics ? "true" : "false")}",
            ];
            var gateway = Start(Path.Combine(folder, "SkFallback.Proxy.dll"), gatewayArgs, gatewayEnvironment);
            try
            {
                const string Listening = "listening on ";
                var line = await WaitForLineAsync(gateway, l => l.Contains(Listening, StringComparison.Ordinal));
                var gatewayBase = new Uri(line[(line.IndexOf(Listening, StringComparison.Ordinal) + Listening.Length)..].Trim().TrimEnd('/') + "/");
                return new ChildProcesses(simulator, simulatorBase, gateway, gatewayBase);
            }
            catch
            {
                Stop(gateway);
                throw;
            }
        }
        catch
        {
            Stop(simulator);
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Stop(_gateway);
        Stop(_simulator);
    }

    private static string[] Provider(int index, string name, string kind, string model, string apiKey, Uri endpoint)
    {
        var prefix = $"--SkFallback:Chains:default:Providers:{index}:";
        return [$"{prefix}Name={name}", $"{prefix}Kind={kind}", $"{prefix}Model={model}", $"{prefix}ApiKey={apiKey}", $"{prefix}Endpoint={endpoint}"];
    }

    private static Process Start(string dll, IEnumerable<string> args, IEnumerable<string> environment)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var variable in environment)
        {
            var equals = variable.IndexOf('=', StringComparison.Ordinal);
            info.Environment[variable[..equals]] = variable[(equals + 1)..];
        }

        return Process.Start(info) ?? throw new InvalidOperationException($"could not start {dll}");
    }

    /// <summary>Reads the child's output until a line matches; afterwards its output is drained so that it never blocks on a full pipe.</summary>
    private static async Task<string> WaitForLineAsync(Process process, Func<string, bool> match)
    {
        using var timeout = new CancellationTokenSource(StartTimeout);
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            if (match(line))
            {
                _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None);
                _ = process.StandardError.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None);
                return line;
            }
        }

        var error = await process.StandardError.ReadToEndAsync(timeout.Token);
        throw new InvalidOperationException($"the child process exited before it listened: {error}");
    }

    private static void Stop(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill();
                process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        finally
        {
            process.Dispose();
        }
    }
}
