using System.Net;
using Microsoft.Extensions.AI;

namespace SkFallback.Redis.Tests;

/// <summary>A provider that answers or fails with a 503, and counts the calls it gets.</summary>
internal sealed class CountingChatClient(string name) : IChatClient
{
    private int _calls;

    public string Name { get; } = name;

    public volatile bool Down;

    public int Calls => Volatile.Read(ref _calls);

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _calls);
        if (Down)
        {
            throw new HttpRequestException("Response status code does not indicate success: 503.", null, HttpStatusCode.ServiceUnavailable);
        }

        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, $"from {Name}")) { FinishReason = ChatFinishReason.Stop, ModelId = Name });
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
