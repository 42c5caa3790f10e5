using Microsoft.Extensions.AI;

namespace SkFallback.Routing;

/// <summary>
/// A quick estimate of the prompt tokens a request will be charged against a provider's rate limit: about four
/// characters of message text per token (the caller adds the output tokens it may produce).
/// </summary>
internal static class RequestTokenEstimate
{
    public static long PromptTokens(IEnumerable<ChatMessage> messages)
    {
        long characters = 0;
        foreach (var message in messages)
        {
            foreach (var content in message.Contents)
            {
                characters += content switch
                {
                    TextContent text => text.Text?.Length ?? 0,
                    FunctionCallContent call => call.Name.Length + 32,
                    FunctionResultContent result => result.Result?.ToString()?.Length ?? 0,
                    _ => 0,
                };
            }
        }

        return Math.Max(1, (characters + 3) / 4);
    }
}
