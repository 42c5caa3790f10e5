using System.ClientModel;
using System.ClientModel.Primitives;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpenAI;

namespace SkFallback.ConcurrencyLoad;

/// <summary>
/// One (clients, phase, N) cell in a process of its own, both clients in it: warm each up, then <c>rounds</c> times start
/// <c>n</c> streams at once through each in turn and time each stream from the common start to its end, or to the
/// caller's deadline. With fresh clients each round builds its own
/// (breakers closed, no stall limit learned, new connections: every stream of the round is already in flight when the
/// faults come, the issue's case); with a warm client every round goes through the one client, warmed on the measured
/// model, as an app's would (its breakers and learned limits carry from round to round).
/// </summary>
internal static class ChildRun
{
    public const string ResultPrefix = "RESULT ";
    private const string ApiKey = "sk-load-key-0123456789";

    public static async Task<int> RunAsync(string[] args)
    {
        var n = int.Parse(LoadOptions.Value(args, "--n")!, CultureInfo.InvariantCulture);
        var rounds = int.Parse(LoadOptions.Value(args, "--rounds")!, CultureInfo.InvariantCulture);
        var flaky = new Uri(LoadOptions.Value(args, "--flaky")!);
        var healthy = new Uri(LoadOptions.Value(args, "--healthy")!);
        var deadline = TimeSpan.FromMilliseconds(double.Parse(LoadOptions.Value(args, "--deadline-ms")!, CultureInfo.InvariantCulture));
        var faulty = LoadOptions.Value(args, "--faulty") == "true";
        var reuse = LoadOptions.Value(args, "--clients") == "warm";
        string[] names = ["chain", "peer"];
        var cells = names.Select(name => new Cell(name, LoadOptions.Value(args, "--expected-" + name)!)).ToArray();

        // Warm-up (JIT, connections, and the chain's one-time load of its token encoding, which its first continuation
        // needs): fresh clients warm a throwaway client on a warm-up model of the healthy server, a warm client warms
        // itself on its measured model; either way the script drops the first warm-up stream after commit, then answers.
        foreach (var cell in cells)
        {
            cell.Kept = reuse ? Build(cell.Name, LoadOptions.ModelOf(cell.Name), flaky, healthy) : null;
            using var warm = reuse ? null : Build(cell.Name, LoadOptions.WarmUpModelOf(cell.Name), healthy, healthy);
            await WarmUpAsync(cell.Kept ?? warm!, deadline);
        }

        using var threads = new PoolThreadSampler(cells.Length);
        using var allocations = args.Contains("--allocation-types") ? new AllocationSampler() : null;
        for (var round = 0; round < rounds; round++)
        {
            // Wave by wave, the two clients in turn (alternating which goes first): both meet the machine as it is.
            for (var turn = 0; turn < cells.Length; turn++)
            {
                var index = (turn + round + (args.Contains("--peer-first") ? 1 : 0)) % cells.Length;
                threads.Current = index;
                await WaveAsync(cells[index], n, flaky, healthy, deadline).ConfigureAwait(false);
            }
        }

        for (var i = 0; i < cells.Length; i++)
        {
            var cell = cells[i];
            var sorted = cell.Latencies.ToArray();
            Array.Sort(sorted);
            var result = new PhaseResult(cell.Name, n, faulty, sorted.Length, Percentile(sorted, 50), Percentile(sorted, 99), sorted[^1], cell.Exact,
                threads.PeakOf(i), cell.Allocated / Math.Max(1, sorted.Length), cell.Lost, string.Empty, string.Empty)
            {
                Warm = reuse,
                Paths = cell.Paths,
                AllocationTypes = allocations?.Top(12) ?? new Dictionary<string, long>(),
            };
            Console.WriteLine(ResultPrefix + JsonSerializer.Serialize(result));
            cell.Kept?.Dispose();
        }

        return 0;
    }

    /// <summary>One wave: <paramref name="n"/> streams of one client released together; allocations counted from the release to the last end.</summary>
    private static async Task WaveAsync(Cell cell, int n, Uri flaky, Uri healthy, TimeSpan deadline)
    {
        using var fresh = cell.Kept is null ? Build(cell.Name, LoadOptions.ModelOf(cell.Name), flaky, healthy) : null;
        var chat = cell.Kept ?? fresh!;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        long released = 0;
        var streams = Enumerable.Range(0, n).Select(_ => Task.Run(async () =>
        {
            await gate.Task.ConfigureAwait(false);
            return await StreamAsync(chat, deadline, Volatile.Read(ref released), cell.Expected).ConfigureAwait(false);
        })).ToArray();
        var before = GC.GetTotalAllocatedBytes(precise: true);
        Volatile.Write(ref released, Stopwatch.GetTimestamp());
        gate.SetResult();
        var outcomes = await Task.WhenAll(streams).ConfigureAwait(false);
        cell.Allocated += GC.GetTotalAllocatedBytes(precise: true) - before;
        foreach (var outcome in outcomes)
        {
            cell.Latencies.Add(outcome.Milliseconds);
            if (outcome.Path is { } path)
            {
                cell.Paths.TryGetValue(path, out var seen);
                cell.Paths[path] = new PathCount(seen.Streams + 1, seen.TotalMs + outcome.Milliseconds);
            }

            if (outcome.Lost is { } reason)
            {
                cell.Lost[reason] = cell.Lost.GetValueOrDefault(reason) + 1;
            }
            else
            {
                cell.Exact++;
            }
        }
    }

    private static async Task WarmUpAsync(IChatClient client, TimeSpan deadline)
    {
        // One by one, then the rest at once.
        for (var i = 0; i < LoadOptions.WarmUpStreams - 20; i++)
        {
            await StreamAsync(client, deadline, Stopwatch.GetTimestamp(), null).ConfigureAwait(false);
        }

        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => StreamAsync(client, deadline, Stopwatch.GetTimestamp(), null)))).ConfigureAwait(false);
    }

    /// <summary>The chain with default options, or the peer over the same SDK with its retries off, as the chain sets it.</summary>
    private static IChatClient Build(string client, string model, Uri first, Uri second)
    {
        if (client == "chain")
        {
            var options = new FallbackOptions()
                .Add(new ProviderOptions { Name = "first", Kind = ProviderKinds.OpenAI, Model = model, ApiKey = ApiKey, Endpoint = first })
                .Add(new ProviderOptions { Name = "second", Kind = ProviderKinds.OpenAI, Model = model, ApiKey = ApiKey, Endpoint = second });
            return new FallbackChatClient(options);
        }

        var http = new HttpClient();
        IChatClient Sdk(Uri endpoint) => new OpenAI.Chat.ChatClient(model, new ApiKeyCredential(ApiKey), new OpenAIClientOptions
        {
            Endpoint = endpoint,
            RetryPolicy = new ClientRetryPolicy(0),
            NetworkTimeout = TimeSpan.FromHours(1),
            Transport = new HttpClientPipelineTransport(http),
        }).AsIChatClient();
        return new PeerClient(new OrderedFailoverChatClient([Sdk(first), Sdk(second)]), http);
    }

    private static async Task<Outcome> StreamAsync(IChatClient client, TimeSpan deadline, long started, string? expected)
    {
        using var cancel = new CancellationTokenSource(deadline);
        var text = new StringBuilder();
        string? lost = null;
        string? path = null;
        try
        {
            await foreach (var update in client.GetStreamingResponseAsync(LoadOptions.Question, cancellationToken: cancel.Token).ConfigureAwait(false))
            {
                text.Append(update.Text);
                if (update.AdditionalProperties?.TryGetValue(FallbackMetadataKeys.Attempts, out var attempts) == true)
                {
                    path = Path((IReadOnlyList<FallbackAttempt>)attempts!);
                }
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            lost = "caller deadline";
        }
        catch (FallbackExhaustedException exhausted)
        {
            lost = "exhausted: " + exhausted.Attempts[^1].Outcome;
            path = Path(exhausted.Attempts);
        }
        catch (Exception ex)
        {
            lost = ex.GetType().Name;
        }

        if (lost is null && expected is not null && text.ToString() != expected)
        {
            lost = "inexact text";
        }

        return new Outcome(Stopwatch.GetElapsedTime(started).TotalMilliseconds, lost, path);
    }

    /// <summary>The chain's attempts of one stream, as "first ServerError 40 ms > first#1 None 90 ms" without the times.</summary>
    private static string Path(IReadOnlyList<FallbackAttempt> attempts) =>
        string.Join(" > ", attempts.Select(a => $"{a.Provider}{(a.Retry > 0 ? "#" + a.Retry.ToString(CultureInfo.InvariantCulture) : "")}{(a.Skipped ? " skipped" : "")} {a.Outcome}"));

    private static double Percentile(double[] sorted, int percentile) =>
        sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(percentile / 100.0 * sorted.Length) - 1, 0, sorted.Length - 1)];

    private sealed record Outcome(double Milliseconds, string? Lost, string? Path);

    /// <summary>One client's measurements within the child.</summary>
    private sealed class Cell(string name, string expected)
    {
        public string Name => name;

        public string Expected => expected;

        public IChatClient? Kept { get; set; }

        public List<double> Latencies { get; } = [];

        public Dictionary<string, int> Lost { get; } = [];

        public Dictionary<string, PathCount> Paths { get; } = [];

        public long Allocated { get; set; }

        public int Exact { get; set; }
    }
}
