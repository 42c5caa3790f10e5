using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using SkFallback.Proxy;
using SkFallback.Simulator;

// A bounded load generator: the same requests straight to the simulator and through the gateway (offline chain over
// the same simulator, no simulated latency), in one run on one machine, alternating phases so both see the same load.
// Latency: sequential requests (p50/p99, and time to first content chunk for streams). Throughput: concurrent requests;
// the gateway's CPU per request is the process CPU of a gateway phase minus that of a direct phase with the same
// requests (the client and simulator run in both), so "per gateway core" is requests / gateway CPU-seconds.
var count = Arg("--requests", 3000);
var concurrency = Arg("--concurrency", 16);
var rounds = Arg("--rounds", 3);
var metrics = !args.Contains("--no-metrics");

await using var simulator = await ProviderSimulator.StartAsync(new SimulatorOptions());
const string Key = "sk-skf-gateway-load-0123456789";
await using var gateway = await GatewayServer.StartAsync(new GatewayStartOptions
{
    Args = ["--urls", "http://127.0.0.1:0"],
    Simulator = simulator,
    Configuration = new Dictionary<string, string?> { ["SkFallback:Proxy:DevelopmentKey"] = Key, ["SkFallback:Proxy:Metrics"] = metrics ? "true" : "false" },
    ConsoleLogging = false,
});

using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1024, PooledConnectionLifetime = TimeSpan.FromMinutes(10) });
var direct = new Target("direct", new Uri(simulator.OpenAIEndpoint, "chat/completions"), "gpt-4o-2024-08-06", "sim-openai-key");
var viaGateway = new Target("gateway", new Uri(gateway.OpenAIEndpoint, "chat/completions"), "default", Key);

Console.WriteLine($"load average before: {LoadAverage()}; {Environment.ProcessorCount} cores; {count} requests x {rounds} rounds, concurrency {concurrency}, /metrics {(metrics ? "on" : "off")}");
foreach (var stream in new[] { false, true })
{
    // Warm both paths (JIT, connections, tiered compilation).
    await RunAsync(direct, stream, 500, concurrency);
    await RunAsync(viaGateway, stream, 500, concurrency);
    var latency = new Dictionary<string, List<double>> { ["direct"] = [], ["gateway"] = [] };
    var first = new Dictionary<string, List<double>> { ["direct"] = [], ["gateway"] = [] };
    var cpu = new Dictionary<string, double> { ["direct"] = 0, ["gateway"] = 0 };
    var rps = new Dictionary<string, double> { ["direct"] = 0, ["gateway"] = 0 };
    for (var round = 0; round < rounds; round++)
    {
        foreach (var target in new[] { direct, viaGateway })
        {
            var sequential = await RunAsync(target, stream, Math.Min(1000, count / 2), 1);
            latency[target.Name].AddRange(sequential.Latencies);
            first[target.Name].AddRange(sequential.FirstChunks);
            var loaded = await RunAsync(target, stream, count, concurrency);
            cpu[target.Name] += loaded.CpuSeconds;
            rps[target.Name] += loaded.RequestsPerSecond / rounds;
        }
    }

    var kind = stream ? "streaming (24 chunks)" : "non-streaming";
    Console.WriteLine();
    Console.WriteLine($"{kind}, sequential latency (ms)      p50      p99   first chunk p50   p99");
    foreach (var name in new[] { "direct", "gateway" })
    {
        Console.WriteLine($"  {name,-30} {P(latency[name], 50),8:0.000} {P(latency[name], 99),8:0.000}   {(stream ? $"{P(first[name], 50),10:0.000} {P(first[name], 99),8:0.000}" : "")}");
    }

    Console.WriteLine($"  {"added by the gateway",-30} {P(latency["gateway"], 50) - P(latency["direct"], 50),8:0.000} {P(latency["gateway"], 99) - P(latency["direct"], 99),8:0.000}   {(stream ? $"{P(first["gateway"], 50) - P(first["direct"], 50),10:0.000} {P(first["gateway"], 99) - P(first["direct"], 99),8:0.000}" : "")}");
    var gatewayCpu = (cpu["gateway"] - cpu["direct"]) / rounds;
    Console.WriteLine($"  throughput at concurrency {concurrency}: direct {rps["direct"]:0} req/s, through the gateway {rps["gateway"]:0} req/s");
    Console.WriteLine($"  gateway CPU per request {gatewayCpu / count * 1e3:0.000} ms -> {count / gatewayCpu:0} req/s per gateway core");
}

Console.WriteLine();
Console.WriteLine($"load average after: {LoadAverage()}");
return 0;

async Task<Phase> RunAsync(Target target, bool stream, int requests, int parallel)
{
    var latencies = new double[requests];
    var firsts = new double[requests];
    var next = -1;
    var process = Process.GetCurrentProcess();
    process.Refresh();
    var cpuBefore = process.TotalProcessorTime;
    var wall = Stopwatch.StartNew();
    var workers = Enumerable.Range(0, parallel).Select(async _ =>
    {
        int i;
        while ((i = Interlocked.Increment(ref next)) < requests)
        {
            (latencies[i], firsts[i]) = await SendAsync(target, stream);
        }
    });
    await Task.WhenAll(workers);
    wall.Stop();
    process.Refresh();
    return new Phase(latencies, firsts, (process.TotalProcessorTime - cpuBefore).TotalSeconds, requests / wall.Elapsed.TotalSeconds);
}

async Task<(double Total, double First)> SendAsync(Target target, bool stream)
{
    using var request = new HttpRequestMessage(HttpMethod.Post, target.Uri)
    {
        Content = new ByteArrayContent(target.Body(stream)) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
    };
    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", target.Key);
    var started = Stopwatch.GetTimestamp();
    using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    if (!response.IsSuccessStatusCode)
    {
        throw new InvalidOperationException($"{target.Name}: HTTP {(int)response.StatusCode}");
    }

    var first = 0d;
    await using var body = await response.Content.ReadAsStreamAsync();
    if (stream)
    {
        using var reader = new StreamReader(body);
        while (await reader.ReadLineAsync() is { } line)
        {
            if (first == 0 && line.Contains("\"content\":\"", StringComparison.Ordinal) && !line.Contains("\"content\":\"\"", StringComparison.Ordinal))
            {
                first = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
        }
    }
    else
    {
        await body.CopyToAsync(Stream.Null);
    }

    return (Stopwatch.GetElapsedTime(started).TotalMilliseconds, first);
}

static double P(List<double> values, int percentile)
{
    if (values.Count == 0)
    {
        return 0;
    }

    var sorted = values.ToArray();
    Array.Sort(sorted);
    return sorted[Math.Clamp((int)Math.Ceiling(percentile / 100.0 * sorted.Length) - 1, 0, sorted.Length - 1)];
}

int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

internal sealed record Phase(double[] Latencies, double[] FirstChunks, double CpuSeconds, double RequestsPerSecond);

internal sealed class Target(string name, Uri uri, string model, string key)
{
    private readonly byte[] _whole = Encoding.UTF8.GetBytes($$"""{"model":"{{model}}","messages":[{"role":"user","content":"Say hello."}]}""");
    private readonly byte[] _stream = Encoding.UTF8.GetBytes($$"""{"model":"{{model}}","stream":true,"messages":[{"role":"user","content":"Say hello."}]}""");

    public string Name => name;

    public Uri Uri => uri;

    public string Key => key;

    public byte[] Body(bool stream) => stream ? _stream : _whole;
}
