using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using SkFallback.Cli.Evaluation;
using SkFallback.Events;

namespace SkFallback.Cli.Events;

/// <summary>
/// Scores the backup's answer of each sampled fallback event: against the golden case whose last user message is the
/// request's (that case's checks), else against the primary's answer to the same request found elsewhere in the log
/// (MiniLM similarity at <c>threshold</c>, or the same tool call), else it is listed as not scored.
/// </summary>
internal sealed class EventScorer(CaseScorer scorer, IReadOnlyList<GoldenCase> cases, double threshold)
{
    /// <summary>The events <c>eval events</c> looks at: fallbacks answered by a provider other than the first tried.</summary>
    public static bool IsBackupAnswer(FallbackEvent e) =>
        EventNames.IsFallback(e.Outcome) && e.Response is not null && e.Provider is not null && e.Provider != EventAnswer.FirstProvider(e);

    /// <summary>Scores one event; <paramref name="log"/> is searched for the primary's answer.</summary>
    public async Task<EventReview> ScoreAsync(FallbackEvent e, IReadOnlyList<FallbackEvent> log, CancellationToken cancellationToken)
    {
        var response = EventAnswer.Response(e)!;
        var review = new EventReview { Id = e.Id, Time = e.Time, Provider = e.Provider, Model = e.Model, Primary = EventAnswer.FirstProvider(e), Basis = "none", Answer = Evaluation.Runs.ResponseFacts.Answer(response) };
        var text = EventAnswer.LastUserText(e);
        if (cases.FirstOrDefault(c => c.LastUserText?.Trim() == text) is { } golden)
        {
            return Scored(review with { Basis = "golden", Reference = golden.Id }, await scorer.ScoreAsync(golden, response, cancellationToken));
        }

        var primary = log.LastOrDefault(other => other.Id != e.Id && other.Response is not null && other.Provider == review.Primary && EventAnswer.SameRequest(e, other));
        if (primary is null)
        {
            return review with { Reason = "no golden case and no answer of the primary for this request in the log" };
        }

        var reference = PrimaryCase(e, EventAnswer.Response(primary)!);
        return Scored(review with { Basis = "primary", Reference = primary.Id }, await scorer.ScoreAsync(reference, response, cancellationToken));
    }

    /// <summary>A case whose check is the primary's answer: its tool call when it made one, otherwise similarity to its text.</summary>
    private GoldenCase PrimaryCase(FallbackEvent e, ChatResponse primary)
    {
        var call = primary.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().FirstOrDefault();
        var check = call is not null
            ? new CheckSpec("tool_call", new JsonObject { ["type"] = "tool_call", ["name"] = call.Name, ["arguments"] = System.Text.Json.JsonSerializer.SerializeToNode(call.Arguments) })
            : new CheckSpec("similarity", new JsonObject { ["type"] = "similarity", ["threshold"] = threshold });
        return new GoldenCase
        {
            Id = e.Id,
            Messages = [.. e.Request.Select(m => new ChatMessage(new ChatRole(m.Role), m.Text ?? string.Empty))],
            Expected = primary.Text,
            Checks = [check],
        };
    }

    private static EventReview Scored(EventReview review, IReadOnlyList<CheckResult> checks) => review with
    {
        Passed = checks.All(c => c.Passed),
        Score = Math.Round(checks.Average(c => c.Score), 4),
        Reason = string.Join("; ", checks.Where(c => !c.Passed).Select(c => $"{c.Check}: {c.Reason}")),
        Checks = checks,
    };
}
