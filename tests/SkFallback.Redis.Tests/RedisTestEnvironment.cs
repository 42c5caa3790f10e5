using System.Net.Sockets;

namespace SkFallback.Redis.Tests;

/// <summary>
/// Finds the Redis the tests use: <c>SKFALLBACK_REDIS</c> (host:port, set by <c>.ci/run</c>). Without it the tests skip,
/// except under <c>CI=true</c>, where a missing or unreachable Redis fails them: CI must not pass by skipping.
/// </summary>
internal static class RedisTestEnvironment
{
    public const string Variable = "SKFALLBACK_REDIS";

    private static readonly Lazy<string?> Unreachable = new(() => Probe(Environment.GetEnvironmentVariable(Variable)));

    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Returns the endpoint, or skips (locally) or fails (CI) the calling test.</summary>
    public static string RequireEndpoint()
    {
        string? endpoint = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(endpoint))
        {
            Unavailable($"{Variable} is not set (host:port of a redis-server; .ci/run starts one and sets it; locally: redis-server --port 6399 --save '' --appendonly no --daemonize yes, then {Variable}=127.0.0.1:6399)");
        }

        if (Unreachable.Value is { } problem)
        {
            Unavailable($"{Variable}={endpoint} is not reachable: {problem}");
        }

        return endpoint!;
    }

    /// <summary>Returns the path of a <c>redis-server</c> binary for tests that start their own server, or skips / fails.</summary>
    public static string RequireRedisServerBinary()
    {
        RequireEndpoint();
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator))
        {
            string candidate = Path.Combine(dir, "redis-server");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        Unavailable("redis-server is not on PATH (apt-get install -y redis-server)");
        return null!;
    }

    private static void Unavailable(string reason)
    {
        if (IsCi)
        {
            Assert.Fail($"CI=true and Redis is required: {reason}");
        }

        Assert.Skip(reason);
    }

    private static string? Probe(string? endpoint)
    {
        if (string.IsNullOrWhiteSpace(endpoint))
        {
            return null;
        }

        int colon = endpoint.LastIndexOf(':');
        string host = colon > 0 ? endpoint[..colon] : endpoint;
        int port = colon > 0 && int.TryParse(endpoint[(colon + 1)..], out int p) ? p : 6379;
        try
        {
            using var client = new TcpClient();
            client.ConnectAsync(host, port).Wait(TimeSpan.FromSeconds(3));
            return client.Connected ? null : "no TCP connection within 3 s";
        }
        catch (Exception ex)
        {
            return ex.GetBaseException().Message;
        }
    }
}
