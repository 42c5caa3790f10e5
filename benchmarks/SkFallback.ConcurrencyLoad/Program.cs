using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using SkFallback.ConcurrencyLoad;
using SkFallback.Simulator;

// N streams started at once, through FallbackChatClient and through Microsoft.Extensions.AI's OrderedFailoverChatClient,
// against two OpenAI-wire simulators (the first flaky in the faulty phases, the second healthy; same model and seed, so
// a continuation is exact), healthy and with faults, in one run. The simulators run in this process; each (phase, N,
// client) is measured in a child process of its own, so its threads and allocations are the client's alone.
if (args.Contains("--child"))
{
    return await ChildRun.RunAsync(args);
}

var options = LoadOptions.Parse(args);
await using var flaky = await ProviderSimulator.StartAsync(new SimulatorOptions { Seed = LoadOptions.Seed });
await using var healthy = await ProviderSimulator.StartAsync(new SimulatorOptions { Seed = LoadOptions.Seed });
var expected = flaky.ExpectedReply(LoadOptions.Model, LoadOptions.Question);
var results = new List<PhaseResult>();
Console.WriteLine($"load average before: {LoadAverage()}; {Environment.ProcessorCount} cores; .NET {Environment.Version}; "
    + $"samples per cell {options.Samples}; caller deadline {options.CallerDeadline.TotalSeconds:0.#} s; simulator TTFT {LoadOptions.TimeToFirstTokenMs} ms, {LoadOptions.TokensPerSecond} tokens/s; faulty mix {options.Mix.ServerErrorShare:P0} 503, {options.Mix.DropShare:P0} drops, {options.Mix.StallShare:P0} stalls (seed {LoadOptions.Seed})");
var flip = false;
foreach (var clients in options.Clients)
{
    foreach (var faulty in options.Phases)
    {
        foreach (var n in options.Counts)
        {
            var rounds = Math.Max(1, (int)Math.Ceiling(options.Samples / (double)n));

            // Alternate which client goes first, so neither always meets the machine's state after the other.
            var order = (flip = !flip) ? new[] { "chain", "peer" } : ["peer", "chain"];
            foreach (var client in order)
            {
                var warm = clients == "warm";
                Script(flaky, faulty ? options.Mix : null, rounds * n * 4, warmUpOn: warm ? LoadOptions.Model : null);
                Script(healthy, null, 0, warmUpOn: warm ? null : LoadOptions.WarmUpModel);
                var before = LoadAverage();
                var result = await RunChildAsync(client, n, rounds, faulty, clients);
                results.Add(result with { LoadBefore = before, LoadAfter = LoadAverage() });
                Console.WriteLine(Describe(results[^1]));
                foreach (var (type, bytes) in result.AllocationTypes)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {bytes / result.Streams,10:N0} B/stream  {type}"));
                }

                foreach (var (path, count) in result.Paths.OrderByDescending(p => p.Value.Streams).Take(options.Paths))
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {count.Streams,4} x {count.TotalMs / count.Streams,8:0.0} ms  {path}"));
                }
            }
        }
    }
}

Console.WriteLine();
Console.WriteLine(Report.Markdown(results));
Console.WriteLine($"load average after: {LoadAverage()}");
return 0;

static void Script(ProviderSimulator sim, FaultMix? mix, int requests, string? warmUpOn)
{
    // A fresh script per child: the same seeded faults, in the same order, for both clients.
    sim.Reset();
    var script = sim.Model(LoadOptions.Model).WithLatency(new LatencyProfile(TimeSpan.FromMilliseconds(LoadOptions.TimeToFirstTokenMs), LoadOptions.TokensPerSecond, 0.2));
    sim.Model(LoadOptions.WarmUpModel).WithLatency(new LatencyProfile(TimeSpan.FromMilliseconds(LoadOptions.TimeToFirstTokenMs), LoadOptions.TokensPerSecond, 0.2));
    if (warmUpOn is not null)
    {
        // The warm-up's first stream breaks after commit (the chain continues it, loading its token encoding once per
        // process, outside the measurement); the rest are answered well.
        sim.Model(warmUpOn).Then(SimulatedBehavior.DropAfter(10)).Then(SimulatedBehavior.Ok(), LoadOptions.WarmUpStreams);
    }

    if (mix is not null)
    {
        script.Then(mix, requests);
    }
}

async Task<PhaseResult> RunChildAsync(string client, int n, int rounds, bool faulty, string clients)
{
    var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardError = true };
    if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
    {
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(typeof(ChildRun).Assembly.Location);
    }

    foreach (var argument in new[]
    {
        "--child", "--client", client, "--n", n.ToString(CultureInfo.InvariantCulture), "--rounds", rounds.ToString(CultureInfo.InvariantCulture),
        "--flaky", flaky.OpenAIEndpoint.ToString(), "--healthy", healthy.OpenAIEndpoint.ToString(), "--expected", expected,
        "--deadline-ms", options.CallerDeadline.TotalMilliseconds.ToString(CultureInfo.InvariantCulture), "--faulty", faulty ? "true" : "false", "--clients", clients,
    })
    {
        start.ArgumentList.Add(argument);
    }

    if (args.Contains("--allocation-types"))
    {
        start.ArgumentList.Add("--allocation-types");
    }

    using var process = Process.Start(start)!;
    var stderr = process.StandardError.ReadToEndAsync();
    var stdout = await process.StandardOutput.ReadToEndAsync();
    await process.WaitForExitAsync();
    var line = stdout.Split('\n').LastOrDefault(l => l.StartsWith(ChildRun.ResultPrefix, StringComparison.Ordinal))
        ?? throw new InvalidOperationException($"The {client} child (N={n}) gave no result; exit {process.ExitCode}: {stdout} {await stderr}");
    return JsonSerializer.Deserialize<PhaseResult>(line[ChildRun.ResultPrefix.Length..])!;
}

static string Describe(PhaseResult r) => string.Create(CultureInfo.InvariantCulture,
    $"{(r.Warm ? "warm " : "fresh")} {(r.Faulty ? "faulty " : "healthy")} N={r.N,-3} {r.Client,-5} p50 {r.P50Ms,8:0.00} ms  p99 {r.P99Ms,8:0.00} ms  exact {r.Exact}/{r.Streams}  pool threads {r.PeakPoolThreads,3}  {r.AllocatedBytesPerStream,9:N0} B/stream  load {r.LoadBefore} -> {r.LoadAfter}{(r.Lost.Count > 0 ? "  lost: " + string.Join(", ", r.Lost.Select(l => $"{l.Key} x{l.Value}")) : "")}");

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
