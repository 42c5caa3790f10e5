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
//
// --processes: the simulator and the gateway run as child processes of their own (ChildProcesses), and the gateway's CPU
// per request is read from its process alone (no subtraction): the figure the README gives per gateway core.
// --gateway-env NAME=VALUE (repeatable) sets the gateway process's environment, e.g. DOTNET_gcServer=1.
// External mode (--simulator-url URL --gateway-url URL --key KEY [--gateway-pid PID]): the same against processes started
// by hand (for profilers). --duration SECONDS sends only gateway requests (--stream for streams) until the time is up.
var count = Arg("--requests", 3000);
var concurrency = Arg("--concurrency", 16);
var rounds = Arg("--rounds", 3);
var duration = Arg("--duration", 0);
var warmup = Arg("--warmup", 20000);
var warmupSeconds = Arg("--warmup-seconds", 20);
var gatewayPid = Arg("--gateway-pid", 0);
var metrics = !args.Contains("--no-metrics");
const string DevelopmentKey = "sk-skf-gateway-load-0123456789";
using var children = args.Contains("--processes") ? await SkFallback.GatewayLoad.ChildProcesses.StartAsync(DevelopmentKey, metrics, Texts("--gateway-env")) : null;
if (children is not null)
{
    gatewayPid = children.GatewayPid;
}

var external = children is not null || Text("--gateway-url") is not null;
await using var simulator = external ? null : await ProviderSimulator.StartAsync(new SimulatorOptions());
await using var gateway = external ? null : await GatewayServer.StartAsync(new GatewayStartOptions
{
    Args = ["--urls", "http://127.0.0.1:0"],
    Simulator = simulator,
    Configuration = new Dictionary<string, string?> { ["SkFallback:Proxy:DevelopmentKey"] = DevelopmentKey, ["SkFallback:Proxy:Metrics"] = metrics ? "true" : "false" },
    ConsoleLogging = false,
});

using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1024, PooledConnectionLifetime = TimeSpan.FromMinutes(10), UseProxy = false });
var direct = new Target("direct", new Uri(children?.SimulatorOpenAI ?? (external ? new Uri(Text("--simulator-url")!) : simulator!.OpenAIEndpoint), "chat/completions"), "gpt-4o-2024-08-06", "sim-openai-key");
var viaGateway = new Target("gateway", new Uri(children?.GatewayOpenAI ?? (external ? new Uri(Text("--gateway-url")!) : gateway!.OpenAIEndpoint), "chat/completions"), "default", Text("--key") ?? DevelopmentKey);

if (duration > 0)
{
    return await SoakAsync(viaGateway, args.Contains("--stream"), duration);
}

Console.WriteLine($"load average before: {LoadAverage()}; {Environment.ProcessorCount} cores; {count} requests x {rounds} rounds, concurrency {concurrency}, {warmup} warm-up requests per path and at least {warmupSeconds} s through the gateway, {(children is not null ? "simulator and gateway in processes of their own" : external ? "external processes" : "in process")}, /metrics {(metrics ? "on" : "off")}");
foreach (var stream in new[] { false, true })
{
    // Warm both paths (JIT, connections, tiered compilation). On a loaded machine the tier-1 recompilation of hot
    // methods lags far behind the requests: 500 warm-up requests left the gateway measuring mostly unoptimized code
    // (0.5 ms of CPU per request instead of about 0.1 ms), hence the default of 20,000.
    var warmed = await RunAsync(viaGateway, stream, Math.Min(500, warmup), concurrency);
    Console.WriteLine($"  warm-up, first {warmed.Latencies.Length} gateway requests: {warmed.RequestsPerSecond:0} req/s{(gatewayPid > 0 ? $", gateway CPU {warmed.CpuSeconds / warmed.Latencies.Length * 1e3:0.000} ms per request" : "")}");
    await RunAsync(direct, stream, warmup, concurrency);

    // The background tier-1 compiler needs wall time as well as calls: an unloaded machine sends 20,000 requests in a
    // few seconds, and the gateway still compiled (and ran slower code) during the measured phases.
    var warmingSince = Stopwatch.GetTimestamp();
    var warmedUp = warmed.Latencies.Length;
    Phase last = warmed;
    while (warmedUp < warmup || Stopwatch.GetElapsedTime(warmingSince).TotalSeconds < warmupSeconds)
    {
        last = await RunAsync(viaGateway, stream, 2000, concurrency);
        warmedUp += 2000;
    }

    Console.WriteLine($"  warm-up: {warmedUp} gateway requests in {Stopwatch.GetElapsedTime(warmingSince).TotalSeconds:0} s{(gatewayPid > 0 ? $", the last 2,000 at {last.CpuSeconds / last.Latencies.Length * 1e3:0.000} ms gateway CPU per request" : "")}");
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
    // With the gateway's own process measured, its CPU in a gateway phase is the gateway's alone (the direct phase shows
    // what it spends idle); in process, the direct phase's CPU (client and simulator) is subtracted.
    var gatewayCpu = (gatewayPid > 0 ? cpu["gateway"] : cpu["gateway"] - cpu["direct"]) / rounds;
    if (gatewayPid > 0)
    {
        Console.WriteLine($"  gateway process CPU during direct phases {cpu["direct"] / rounds / count * 1e3:0.000} ms per request (idle cost)");
    }

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
    var cpuBefore = CpuSeconds();
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
    return new Phase(latencies, firsts, CpuSeconds() - cpuBefore, requests / wall.Elapsed.TotalSeconds);
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

// Only gateway requests, loaded, for a profiler attached to the gateway: bounded by time and by a request cap.
async Task<int> SoakAsync(Target target, bool stream, int seconds)
{
    Console.WriteLine($"soak: {target.Uri}{(gatewayPid > 0 ? $" (gateway process {gatewayPid})" : "")}, {(stream ? "streaming" : "non-streaming")}, concurrency {concurrency}, {seconds} s; load average {LoadAverage()}");
    var until = Stopwatch.GetTimestamp() + (long)(seconds * (double)Stopwatch.Frequency);
    var sent = 0;
    var cpuBefore = CpuSeconds();
    var wall = Stopwatch.StartNew();
    while (Stopwatch.GetTimestamp() < until && sent < 10_000_000)
    {
        await RunAsync(target, stream, 1000, concurrency);
        sent += 1000;
    }

    var cpuUsed = CpuSeconds() - cpuBefore;
    Console.WriteLine($"soak: {sent} requests in {wall.Elapsed.TotalSeconds:0.0} s = {sent / wall.Elapsed.TotalSeconds:0} req/s; {(gatewayPid > 0 ? "gateway" : "this")} process CPU {cpuUsed / sent * 1e3:0.000} ms per request; load average {LoadAverage()}");
    return 0;
}

// CPU-seconds of the gateway's process when given (from /proc, clock ticks of 10 ms), else of this process.
double CpuSeconds()
{
    if (gatewayPid <= 0)
    {
        var self = Process.GetCurrentProcess();
        self.Refresh();
        return self.TotalProcessorTime.TotalSeconds;
    }

    var stat = File.ReadAllText($"/proc/{gatewayPid}/stat");
    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
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

IEnumerable<string> Texts(string name)
{
    for (var i = 0; i + 1 < args.Length; i++)
    {
        if (args[i] == name)
        {
            yield return args[i + 1];
        }
    }
}

string? Text(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
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
