using System.Text.Json.Nodes;

namespace SkFallback.Proxy.Tests;

/// <summary>A server-sent event stream read by hand, to check the framing itself.</summary>
public sealed record SseEvent(string? Name, string Data)
{
    public JsonNode? Json => Data == "[DONE]" ? null : JsonNode.Parse(Data);

    public static async Task<List<SseEvent>> ReadAllAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var events = new List<SseEvent>();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        string? name = null;
        string? data = null;
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                if (data is not null)
                {
                    events.Add(new SseEvent(name, data));
                }

                name = null;
                data = null;
            }
            else if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                name = line[7..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data = data is null ? line[6..] : data + "\n" + line[6..];
            }
            else
            {
                throw new InvalidDataException($"Unexpected SSE line: {line}");
            }
        }

        Assert.Null(data);
        return events;
    }
}
