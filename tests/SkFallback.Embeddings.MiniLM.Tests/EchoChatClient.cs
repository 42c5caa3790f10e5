using Microsoft.Extensions.AI;

namespace SkFallback.Embeddings.MiniLM.Tests;

/// <summary>A hand-written provider that answers every request with its own last user turn, so a served answer shows which request produced it.</summary>
internal sealed class EchoChatClient : IChatClient
{
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _calls);
        var response = new ChatResponse(new ChatMessage(ChatRole.Assistant, "answer to: " + messages.Last().Text))
        {
            FinishReason = ChatFinishReason.Stop,
            AdditionalProperties = new() { [FallbackMetadataKeys.Provider] = "echo", [FallbackMetadataKeys.Model] = "echo-2024-01-01" },
        };
        return Task.FromResult(response);
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
