using System.Text.Json;
using Microsoft.Extensions.AI;

namespace SkFallback.Cost;

/// <summary>
/// The prompt tokens of one chat message by OpenAI's method: <see cref="TokenEstimator.TokensPerMessage"/>, the role,
/// the author name with <see cref="TokenEstimator.TokensPerName"/>, and each content (text, function calls and results
/// as compact JSON, images by <see cref="ImageTokenCost"/>; reasoning is not sent back).
/// </summary>
internal static class MessageTokens
{
    // Providers receive arguments and results as compact JSON; the default AI options indent.
    private static readonly JsonSerializerOptions CompactJson = new(AIJsonUtilities.DefaultOptions) { WriteIndented = false };

    public static long Count(TiktokenEncoding tokenizer, ChatMessage message)
    {
        long total = TokenEstimator.TokensPerMessage + tokenizer.CountTokens(message.Role.Value);
        if (!string.IsNullOrEmpty(message.AuthorName))
        {
            total += TokenEstimator.TokensPerName + tokenizer.CountTokens(message.AuthorName);
        }

        var contents = message.Contents;
        for (var i = 0; i < contents.Count; i++)
        {
            total += CountContent(tokenizer, contents[i]);
        }

        return total;
    }

    private static int CountContent(TiktokenEncoding tokenizer, AIContent content) => content switch
    {
        TextContent text => string.IsNullOrEmpty(text.Text) ? 0 : tokenizer.CountTokens(text.Text),
        TextReasoningContent => 0, // reasoning is not sent back as prompt text
        FunctionCallContent call => tokenizer.CountTokens(call.Name) + CountJson(tokenizer, call.Arguments),
        FunctionResultContent result => CountResult(tokenizer, result.Result),
        DataContent data when data.HasTopLevelMediaType("image") => ImageTokenCost.Count(data, data.Data.Span),
        UriContent uri when uri.HasTopLevelMediaType("image") => ImageTokenCost.Count(uri, default),
        _ => 0,
    };

    private static int CountResult(TiktokenEncoding tokenizer, object? result) => result switch
    {
        null => 0,
        string s => s.Length == 0 ? 0 : tokenizer.CountTokens(s),
        JsonElement element => tokenizer.CountTokens(element.GetRawText()),
        _ => tokenizer.CountTokens(JsonSerializer.Serialize(result, CompactJson.GetTypeInfo(result.GetType()))),
    };

    private static int CountJson(TiktokenEncoding tokenizer, IDictionary<string, object?>? arguments) =>
        arguments is null || arguments.Count == 0
            ? 0
            : tokenizer.CountTokens(JsonSerializer.Serialize(arguments, CompactJson.GetTypeInfo(typeof(IDictionary<string, object?>))));
}
