using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace SkFallback.Caching;

/// <summary>
/// The canonical form of a request, hashed: the partition (everything but the last user turn: system prompt and
/// instructions, earlier turns, tools and their schemas, tool choice, response format, sampling parameters and other
/// provider-neutral options) and the exact key (the partition, the last user turn, the tenant and the namespace). The
/// model id and the SkFallback request keys are left out, so an answer from one provider serves a request routed to another.
/// </summary>
internal sealed class CacheRequestKey
{
    private CacheRequestKey(string exactKey, string partition, string? prompt)
    {
        ExactKey = exactKey;
        Partition = partition;
        Prompt = prompt;
    }

    /// <summary>Gets the hex SHA-256 exact key.</summary>
    public string ExactKey { get; }

    /// <summary>Gets the hex SHA-256 partition.</summary>
    public string Partition { get; }

    /// <summary>Gets the text of the last user turn, when the request ends with a user turn of text only; otherwise <see langword="null"/> (no semantic lookup).</summary>
    public string? Prompt { get; }

    /// <summary>Builds the key, or returns <see langword="null"/> when the request cannot be keyed (content that does not serialize, a server-side conversation, a raw provider request).</summary>
    public static CacheRequestKey? Create(IEnumerable<ChatMessage> messages, ChatOptions? options, string ns, string tenant)
    {
        if (options is { ConversationId: not null } or { RawRepresentationFactory: not null } or { ContinuationToken: not null })
        {
            return null;
        }

        var list = messages as IReadOnlyList<ChatMessage> ?? messages.ToList();
        var prompt = list.Count > 0 ? PromptOf(list[^1]) : null;
        var buffer = new ArrayBufferWriter<byte>(1024);
        try
        {
            CanonicalRequestWriter.Write(buffer, options, list, prompt is null ? list.Count : list.Count - 1);
        }
        catch (Exception e) when (e is NotSupportedException or JsonException or InvalidOperationException or ArgumentException)
        {
            return null;
        }

        var partition = Convert.ToHexStringLower(SHA256.HashData(buffer.WrittenSpan));
        var exact = new StringBuilder(partition.Length + ns.Length + tenant.Length + (prompt?.Length ?? 0) + 16)
            .Append(partition).Append('\n').Append(ns.Length).Append(':').Append(ns)
            .Append('\n').Append(tenant.Length).Append(':').Append(tenant)
            .Append('\n').Append(prompt is null ? "-" : "u:" + prompt).ToString();
        var exactKey = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(exact)));
        return new CacheRequestKey(exactKey, partition, prompt);
    }

    private static string? PromptOf(ChatMessage message)
    {
        if (message.Role != ChatRole.User || message.Contents.Count == 0)
        {
            return null;
        }

        if (message.Contents.Count == 1)
        {
            return message.Contents[0] is TextContent only ? only.Text : null;
        }

        var text = new StringBuilder();
        foreach (var content in message.Contents)
        {
            if (content is not TextContent part)
            {
                return null;
            }

            text.Append(part.Text);
        }

        return text.ToString();
    }
}
