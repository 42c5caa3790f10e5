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
/// One measured cell in a process of its own: warm up, then <c>rounds</c> times start <c>n</c> streams at once and time
/// each from the common start to its end, or to the caller's deadline. With fresh clients each round builds its own
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
        var client = LoadOptions.Value(args, "--client")!;
        var n = int.Parse(LoadOptions.Value(args, "--n")!, CultureInfo.InvariantCulture);
        var rounds = int.Parse(LoadOptions.Value(args, "--rounds")!, CultureInfo.InvariantCulture);
        var flaky = new Uri(LoadOptions.Value(args, "--flaky")!);
        var healthy = new Uri(LoadOptions.Value(args, "--healthy")!);
        var expected = LoadOptions.Value(args, "--expected")!;
        var deadline = TimeSpan.FromMilliseconds(double.Parse(LoadOptions.Value(args, "--deadline-ms")!, CultureInfo.InvariantCulture));
        var faulty = LoadOptions.Value(args, "--faulty") == "true";
        var reuse = LoadOptions.Value(args, "--clients") == "warm";

        // Warm-up (JIT, connections, and the chain's one-time load of its token encoding, which its first continuation
        // needs): fresh clients warm a throwaway client on another model of the healthy server, a warm client warms
        // itself on the measured model; either way the script drops the first warm-up stream after commit, then answers.
        using var kept = reuse ? Build(client, LoadOptions.Model, flaky, healthy) : null;
        using (var warm = reuse ? null : Build(client, LoadOptions.WarmUpModel, healthy, healthy))
        {
            await WarmUpAsync(kept ?? warm!, deadline);
        }

        var latencies = new List<double>(rounds * n);
        var lost = new Dictionary<string, int>();
        var paths = new Dictionary<string, PathCount>();
        long allocated = 0;
        var exact = 0;
        using var threads = new PoolThreadSampler();
        using var allocations = args.Contains("--allocation-types") ? new AllocationSampler() : null;
        for (var round = 0; round < rounds; round++)
        {
            using var fresh = reuse ? null : Build(client, LoadOptions.Model, flaky, healthy);
            var chat = kept ?? fresh!;
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            long released = 0;
            var streams = Enumerable.Range(0, n).Select(_ => Task.Run(async () =>
            {
                await gate.Task.ConfigureAwait(false);
                return await StreamAsync(chat, deadline, Volatile.Read(ref released), expected).ConfigureAwait(false);
            })).ToArray();
            var before = GC.GetTotalAllocatedBytes(precise: true);
            Volatile.Write(ref released, Stopwatch.GetTimestamp());
            gate.SetResult();
            var outcomes = await Task.WhenAll(streams).ConfigureAwait(false);
            allocated += GC.GetTotalAllocatedBytes(precise: true) - before;
            foreach (var outcome in outcomes)
            {
                latencies.Add(outcome.Milliseconds);
                if (outcome.Path is { } path)
                {
                    paths.TryGetValue(path, out var seen);
                    paths[path] = new PathCount(seen.Streams + 1, seen.TotalMs + outcome.Milliseconds);
                }

                if (outcome.Lost is { } reason)
                {
                    lost[reason] = lost.GetValueOrDefault(reason) + 1;
                }
                else
                {
                    exact++;
                }
            }
        }

        var sorted = latencies.ToArray();
        Array.Sort(sorted);
        var result = new PhaseResult(client, n, faulty, sorted.Length, Percentile(sorted, 50), Percentile(sorted, 99), sorted[^1], exact,
            threads.Peak, allocated / Math.Max(1, sorted.Length), lost, string.Empty, string.Empty) { Warm = reuse, Paths = paths, AllocationTypes = allocations?.Top(12) ?? new Dictionary<string, long>() };
        Console.WriteLine(ResultPrefix + JsonSerializer.Serialize(result));
        return 0;
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
}
