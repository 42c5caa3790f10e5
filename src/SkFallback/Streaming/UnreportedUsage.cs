using System.Text;
using Microsoft.Extensions.AI;
using SkFallback.Cost;

namespace SkFallback.Streaming;

/// <summary>
/// The usage of the parts of a continued stream whose providers broke off before reporting it: estimated, so the
/// caller's combined usage (<c>ToChatResponse().Usage</c>, which sums every <see cref="UsageContent"/>) covers every
/// provider that wrote part of the answer.
/// </summary>
internal static class UnreportedUsage
{
    /// <summary>
    /// Adds to <paramref name="total"/> what one broken part used and did not report to the caller: the prompt
    /// (estimated for the request as sent) when the provider reported no input tokens and the prompt was billed,
    /// and the delivered text's tokens beyond any output tokens it reported.
    /// </summary>
    /// <param name="total">The estimate so far, or <see langword="null"/>; allocated only when something is added.</param>
    /// <param name="part">The updates the caller received from the part's provider.</param>
    /// <param name="tokens">The chain's estimator (with its per-model correction).</param>
    /// <param name="model">The part's model id.</param>
    /// <param name="messages">The messages sent to the part's provider.</param>
    /// <param name="options">The options sent to the part's provider.</param>
    /// <param name="promptBilled">Whether the provider read the prompt, so it is billed even without output.</param>
    /// <returns>The estimate, or <see langword="null"/> when nothing was left unreported.</returns>
    public static UsageDetails? Add(
        UsageDetails? total,
        ReadOnlySpan<ChatResponseUpdate> part,
        TokenEstimator tokens,
        string model,
        IEnumerable<ChatMessage> messages,
        ChatOptions? options,
        bool promptBilled)
    {
        long? reportedInput = null;
        long reportedOutput = 0;
        StringBuilder? text = null;
        foreach (var update in part)
        {
            var contents = update.Contents;
            for (var i = 0; i < contents.Count; i++)
            {
                switch (contents[i])
                {
                    case UsageContent usage:
                        if (usage.Details.InputTokenCount is { } reported)
                        {
                            reportedInput = (reportedInput ?? 0) + reported;
                        }

                        reportedOutput += usage.Details.OutputTokenCount ?? 0;
                        break;
                    case TextContent { Text: { Length: > 0 } chunk }:
                        (text ??= new()).Append(chunk);
                        break;
                    default:
                        break;
                }
            }
        }

        long input = reportedInput is null && promptBilled ? tokens.EstimatePromptTokens(model, messages, options) : 0;

        // A provider may report a provisional output count when its stream opens; what it delivered is what counts.
        var written = text is null ? 0 : (long)Math.Ceiling(TokenEstimator.CountText(TokenEstimator.FamilyOf(model), text.ToString()) * tokens.CorrectionOf(model));
        var output = Math.Max(0, written - reportedOutput);
        if (input == 0 && output == 0)
        {
            return total;
        }

        total ??= new UsageDetails { InputTokenCount = 0, OutputTokenCount = 0, TotalTokenCount = 0, AdditionalCounts = [] };
        total.InputTokenCount += input;
        total.OutputTokenCount += output;
        total.TotalTokenCount += input + output;
        var counts = total.AdditionalCounts!;
        counts[FallbackMetadataKeys.EstimatedInputTokens] = counts.GetValueOrDefault(FallbackMetadataKeys.EstimatedInputTokens) + input;
        counts[FallbackMetadataKeys.EstimatedOutputTokens] = counts.GetValueOrDefault(FallbackMetadataKeys.EstimatedOutputTokens) + output;
        return total;
    }
}
