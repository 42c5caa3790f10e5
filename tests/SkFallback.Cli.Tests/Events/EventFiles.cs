using SkFallback.Events;

namespace SkFallback.Cli.Tests.Events;

/// <summary>Builds fallback events and writes them as the log does, through the library's format types.</summary>
internal static class EventFiles
{
    public static readonly DateTimeOffset T0 = new(2026, 12, 4, 18, 0, 0, TimeSpan.Zero);

    public static FallbackEventAttempt Attempt(string provider, FailureKind reason = FailureKind.None, int? status = null, double elapsed = 10, decimal? cost = null, bool skipped = false) =>
        new() { Provider = provider, Model = provider + "-model", Reason = reason, StatusCode = status, ElapsedMs = elapsed, CostUsd = cost, Skipped = skipped };

    /// <summary>A call to <paramref name="prompt"/> answered <paramref name="answer"/> by the last attempt's provider (no answer when null).</summary>
    public static FallbackEvent Event(int n, string prompt, string? answer, FallbackEventOutcome outcome, string? tenant = null, double sampleRate = 1, params FallbackEventAttempt[] attempts)
    {
        var answered = answer is null ? null : attempts[^1];
        return new FallbackEvent
        {
            Id = $"0193a1f0c3b87a4c9d2e5f6071{n:D6}",
            Time = T0.AddMinutes(n),
            DurationMs = attempts.Sum(a => a.ElapsedMs),
            Outcome = outcome,
            SampleRate = sampleRate,
            Tenant = tenant,
            Provider = answered?.Provider,
            Model = answered?.Model,
            CostUsd = attempts.Sum(a => a.CostUsd ?? 0),
            Request = [new FallbackEventMessage { Role = "user", Text = prompt }],
            Response = answer is null ? null : new FallbackEventResponse { Text = answer, FinishReason = "stop", InputTokens = 10, OutputTokens = 3 },
            Error = answer is null ? new FallbackEventError { Type = "FallbackExhaustedException", Message = "every provider failed" } : null,
            Attempts = attempts,
        };
    }

    /// <summary>Writes one log file holding <paramref name="events"/>; returns its path.</summary>
    public static string Write(string directory, int sequence, IEnumerable<FallbackEvent> events, string? trailing = null)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, FallbackEventFiles.Name(FallbackEventFiles.DefaultPrefix, T0.AddHours(sequence), sequence));
        using (var stream = new FileStream(path, FileMode.Append))
        {
            foreach (var e in events)
            {
                FallbackEventJson.WriteLine(e, stream);
            }

            if (trailing is not null)
            {
                stream.Write(System.Text.Encoding.UTF8.GetBytes(trailing));
            }
        }

        return path;
    }

    /// <summary>A log of six events over two files: answers, fallbacks for two reasons, an exhausted call, one malformed line.</summary>
    public static string Sample(TempFolder folder)
    {
        var directory = folder.File("events");
        Write(directory, 1,
        [
            Event(1, "What is the capital of France?", "Paris.", FallbackEventOutcome.Answered, "acme", 0.01, Attempt("primary", cost: 0.001m)),
            Event(2, "What is the capital of France?", "Paris.", FallbackEventOutcome.FellBack, "acme", 1, Attempt("primary", FailureKind.RateLimited, 429, 30), Attempt("backup", cost: 0.002m)),
            Event(3, "What is the capital of Germany?", "Munich.", FallbackEventOutcome.FellBack, "globex", 1, Attempt("primary", FailureKind.ServerError, 503, 20), Attempt("backup", cost: 0.002m)),
        ], trailing: "{\"v\":1,\"id\":\"cut-by-a-crash\n");
        Write(directory, 2,
        [
            Event(4, "Tell me about the weather.", "It will be sunny and warm today.", FallbackEventOutcome.Answered, "acme", 0.01, Attempt("primary", cost: 0.001m)),
            Event(5, "Tell me about the weather.", "Today will be warm and sunny.", FallbackEventOutcome.FellBack, "acme", 1, Attempt("primary", FailureKind.Timeout, null, 5000), Attempt("backup", cost: 0.002m)),
            Event(6, "Write a haiku.", null, FallbackEventOutcome.Exhausted, "globex", 1, Attempt("primary", FailureKind.ServerError, 503, 20), Attempt("backup", FailureKind.RateLimited, 429, 15)),
            Event(7, "Write a limerick.", "There once was a model.", FallbackEventOutcome.FellBack, "acme", 1, Attempt("primary", FailureKind.CircuitOpen, skipped: true, elapsed: 0), Attempt("backup", cost: 0.002m)),
        ]);
        return directory;
    }
}
