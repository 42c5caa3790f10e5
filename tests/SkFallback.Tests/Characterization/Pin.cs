using System.Globalization;
using System.Text;
using Microsoft.Extensions.AI;

namespace SkFallback.Tests.Characterization;

/// <summary>
/// Renders what a call left behind (the answer or the exception, its attempts, the ledger's records) as one
/// canonical multi-line string, so a characterization test compares it with one literal and any drift is a readable diff.
/// </summary>
internal static class Pin
{
    /// <summary>Compares a rendering with its pinned literal (line endings normalised).</summary>
    public static void Match(string expected, string actual)
    {
        Assert.Equal(expected.ReplaceLineEndings("\n"), actual.ReplaceLineEndings("\n"));
    }

    public static string Number(decimal? value) => value is { } d ? d.ToString(CultureInfo.InvariantCulture) : "-";

    public static string Attempt(FallbackAttempt a) =>
        $"{a.Provider} {a.Model} | {a.Outcome} | status={a.StatusCode?.ToString(CultureInfo.InvariantCulture) ?? "-"} | retry={a.Retry}"
        + $" | {(a.Skipped ? "skipped" : "called")} | elapsed={a.Elapsed.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture)}ms | {Text(a.Detail)}";

    /// <summary>A detail as is, or quoted when it starts or ends with white space (which editors would trim from a literal).</summary>
    private static string Text(string? detail) => detail switch
    {
        null => "-",
        { Length: > 0 } when char.IsWhiteSpace(detail[0]) || char.IsWhiteSpace(detail[^1]) => $"'{detail}'",
        _ => detail,
    };

    public static string Attempts(IReadOnlyList<FallbackAttempt> attempts) =>
        attempts.Count == 0 ? "  (none)" : string.Join("\n", attempts.Select(a => "  " + Attempt(a)));

    /// <summary>A non-streaming answer: its text, its SkFallback metadata (every key but the attempts), its attempts, the ledger.</summary>
    public static string Response(ChatResponse response, RecordingLedger ledger, bool sortLedger = false)
    {
        var text = new StringBuilder();
        text.Append("text: ").Append(response.Text).Append('\n');
        text.Append("finish: ").Append(response.FinishReason?.Value ?? "-").Append('\n');
        Metadata(text, response.AdditionalProperties);
        text.Append("attempts:\n").Append(Attempts(AttemptsOf(response.AdditionalProperties))).Append('\n');
        text.Append("ledger:\n").Append(sortLedger ? ledger.RenderSorted() : ledger.Render());
        return text.ToString();
    }

    /// <summary>
    /// A streamed answer: the text the caller received, how many updates, which updates named a provider, the
    /// trailer's metadata and usage, its attempts, the ledger.
    /// </summary>
    public static string Stream(IReadOnlyList<ChatResponseUpdate> updates, RecordingLedger ledger, bool sortLedger = false)
    {
        var text = new StringBuilder();
        text.Append("text: ").Append(string.Concat(updates.Select(u => u.Text))).Append('\n');
        text.Append("updates: ").Append(updates.Count).Append('\n');
        text.Append("finish: ").Append(updates.LastOrDefault(u => u.FinishReason is not null)?.FinishReason?.Value ?? "-").Append('\n');
        var named = new List<string>();
        for (var i = 0; i < updates.Count - 1; i++)
        {
            if (updates[i].AdditionalProperties is { } p && p.TryGetValue(FallbackMetadataKeys.Provider, out var provider))
            {
                named.Add($"#{i} {provider}/{(p.TryGetValue(FallbackMetadataKeys.Model, out var model) ? model : "-")}");
            }
        }

        text.Append("named: ").Append(named.Count == 0 ? "-" : string.Join(", ", named)).Append('\n');
        var trailer = updates[^1];
        text.Append("trailer text: '").Append(trailer.Text).Append("'\n");
        Metadata(text, trailer.AdditionalProperties);
        foreach (var usage in trailer.Contents.OfType<UsageContent>())
        {
            text.Append("trailer usage: ").Append(Usage(usage.Details)).Append('\n');
        }

        var total = updates.ToChatResponse().Usage;
        text.Append("total usage: ").Append(total is null ? "-" : Usage(total)).Append('\n');
        text.Append("attempts:\n").Append(Attempts(AttemptsOf(trailer.AdditionalProperties))).Append('\n');
        text.Append("ledger:\n").Append(sortLedger ? ledger.RenderSorted() : ledger.Render());
        return text.ToString();
    }

    /// <summary>A call that ended with an exception: its type, message, what it says about the attempts, the ledger.</summary>
    public static string Failure(Exception exception, RecordingLedger ledger, bool sortLedger = false)
    {
        var text = new StringBuilder();
        text.Append("threw: ").Append(exception.GetType().Name).Append('\n');
        text.Append("message: ").Append(exception.Message.ReplaceLineEndings("\n")).Append('\n');
        switch (exception)
        {
            case FallbackExhaustedException exhausted:
                text.Append("output committed: ").Append(exhausted.OutputCommitted).Append('\n');
                text.Append("inner: ").Append(exhausted.InnerException is ProviderException p ? $"ProviderException ({p.OriginalType[(p.OriginalType.LastIndexOf('.') + 1)..]})" : exhausted.InnerException?.GetType().Name ?? "-").Append('\n');
                text.Append("attempts:\n").Append(Attempts(exhausted.Attempts)).Append('\n');
                break;
            case BudgetExceededException budget:
                text.Append("scope: ").Append(budget.Scope).Append(" | remaining=").Append(Number(budget.RemainingUsd))
                    .Append(" | before dispatch: ").Append(budget.BeforeDispatch).Append('\n');
                text.Append("attempts:\n").Append(Attempts(budget.Attempts)).Append('\n');
                break;
            default:
                break;
        }

        text.Append("ledger:\n").Append(sortLedger ? ledger.RenderSorted() : ledger.Render());
        return text.ToString();
    }

    private static IReadOnlyList<FallbackAttempt> AttemptsOf(AdditionalPropertiesDictionary? properties) =>
        properties is not null && properties.TryGetValue(FallbackMetadataKeys.Attempts, out var value) && value is IReadOnlyList<FallbackAttempt> attempts
            ? attempts
            : throw new InvalidOperationException("the answer carries no attempts");

    private static void Metadata(StringBuilder text, AdditionalPropertiesDictionary? properties)
    {
        if (properties is null)
        {
            text.Append("metadata: (none)\n");
            return;
        }

        foreach (var key in properties.Keys.Where(k => k != FallbackMetadataKeys.Attempts).Order(StringComparer.Ordinal))
        {
            text.Append(key).Append(" = ").Append(Value(properties[key])).Append('\n');
        }
    }

    private static string Value(object? value) => value switch
    {
        null => "(null)",
        decimal d => Number(d) + " (decimal)",
        string s => s,
        IEnumerable<string> list => "[" + string.Join(", ", list) + "]",
        _ => $"{Convert.ToString(value, CultureInfo.InvariantCulture)} ({value.GetType().Name})",
    };

    private static string Usage(UsageDetails usage)
    {
        var text = $"input={usage.InputTokenCount?.ToString(CultureInfo.InvariantCulture) ?? "-"} output={usage.OutputTokenCount?.ToString(CultureInfo.InvariantCulture) ?? "-"} total={usage.TotalTokenCount?.ToString(CultureInfo.InvariantCulture) ?? "-"}";
        if (usage.AdditionalCounts is { Count: > 0 } counts)
        {
            text += " " + string.Join(" ", counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key}={c.Value}"));
        }

        return text;
    }
}
