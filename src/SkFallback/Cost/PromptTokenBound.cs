using Microsoft.Extensions.AI;

namespace SkFallback.Cost;

/// <summary>A cheap upper bound on a request's prompt tokens in any tokenizer family, to clear short requests without tokenizing them.</summary>
internal static class PromptTokenBound
{
    /// <summary>
    /// At most one token per UTF-8 byte (three per UTF-16 unit), the per-message overhead, and the largest
    /// correction; -1 when the request has content other than text.
    /// </summary>
    public static long Of(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        if (options?.Tools is { Count: > 0 })
        {
            return -1;
        }

        long units = 0;
        long count = 0;
        if (messages is not IList<ChatMessage> list)
        {
            list = [.. messages];
        }

        for (var m = 0; m < list.Count; m++)
        {
            var message = list[m];
            count++;
            units += message.AuthorName?.Length ?? 0;
            var contents = message.Contents;
            for (var c = 0; c < contents.Count; c++)
            {
                if (contents[c] is not TextContent text)
                {
                    return -1;
                }

                units += text.Text?.Length ?? 0;
            }
        }

        var raw = (3 * units) + ((TokenEstimator.TokensPerMessage + TokenEstimator.TokensPerName + 1) * count) + TokenEstimator.ReplyPrimingTokens;
        return (long)Math.Ceiling(raw * TokenEstimator.MaxCorrection);
    }
}
