using Microsoft.Extensions.AI;
using SkFallback.Cli.Hosting;

namespace SkFallback.Cli.Evaluation.Runs;

/// <summary>
/// Sends every case to every target with at most <c>concurrency</c> calls in flight, and scores each answer.
/// Results come back in target order, then case order, whatever order the calls finished in.
/// Latency is the call alone: scoring (an embedding, a judge's call) is not in it.
/// </summary>
internal sealed class EvalRunner(CaseScorer scorer, TimeProvider time, int concurrency, bool stream = false)
{
    /// <summary>Runs the set; <paramref name="progress"/> is told of each result as it is scored.</summary>
    public async Task<List<CaseResult>> RunAsync(IReadOnlyList<EvalTarget> targets, IReadOnlyList<GoldenCase> cases, Action<CaseResult>? progress, CancellationToken cancellationToken)
    {
        // Case by case across the targets, so the process's warm-up (JIT, first connections) is not all charged to the first target.
        var work = new List<(int Index, EvalTarget Target, GoldenCase Case)>();
        for (var c = 0; c < cases.Count; c++)
        {
            for (var t = 0; t < targets.Count; t++)
            {
                work.Add(((t * cases.Count) + c, targets[t], cases[c]));
            }
        }

        await scorer.PrepareAsync(cases, cancellationToken);

        var results = new CaseResult[work.Count];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(work, parallel, async (item, token) =>
        {
            var result = await RunCaseAsync(item.Target, item.Case, token);
            results[item.Index] = result;
            progress?.Invoke(result);
        });
        return [.. results];
    }

    private async Task<CaseResult> RunCaseAsync(EvalTarget target, GoldenCase golden, CancellationToken cancellationToken)
    {
        var options = golden.Tools.Count > 0 ? new ChatOptions { Tools = [.. golden.Tools] } : null;
        var started = time.GetTimestamp();
        ChatResponse response;
        double? firstChunkMs = null;
        try
        {
            if (stream)
            {
                (response, firstChunkMs) = await StreamAsync(target, golden, options, started, cancellationToken);
            }
            else
            {
                response = await target.Client.GetResponseAsync(golden.Messages, options, cancellationToken);
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The chain's exceptions carry every attempt, keys masked: the message is what a reader needs.
            return new CaseResult
            {
                Target = target.Name,
                CaseId = golden.Id,
                Tags = golden.Tags,
                LatencyMs = time.GetElapsedTime(started).TotalMilliseconds,
                Error = exception.Message,
            };
        }

        var latency = time.GetElapsedTime(started).TotalMilliseconds;
        var checks = await scorer.ScoreAsync(golden, response, cancellationToken);
        return ResponseFacts.ToResult(target.Name, golden, response, latency, checks) with { FirstChunkMs = firstChunkMs is { } first ? Math.Round(first, 2) : null };
    }

    /// <summary>Streams the answer, timing its first content; the updates (the chain's trailer included) make the response.</summary>
    private async Task<(ChatResponse Response, double? FirstChunkMs)> StreamAsync(EvalTarget target, GoldenCase golden, ChatOptions? options, long started, CancellationToken cancellationToken)
    {
        var updates = new List<ChatResponseUpdate>();
        double? first = null;
        await foreach (var update in target.Client.GetStreamingResponseAsync(golden.Messages, options, cancellationToken))
        {
            if (first is null && update.Contents.Any(c => c is TextContent { Text.Length: > 0 } or FunctionCallContent))
            {
                first = time.GetElapsedTime(started).TotalMilliseconds;
            }

            updates.Add(update);
        }

        return (updates.ToChatResponse(), first);
    }
}
