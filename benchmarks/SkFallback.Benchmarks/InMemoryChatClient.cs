using Microsoft.Extensions.AI;

namespace SkFallback.Benchmarks;

/// <summary>
/// A provider that answers from memory and never waits, so a benchmark measures only the layer above it.
/// </summary>
/// <remarks>
/// Non-streaming: a fresh <see cref="ChatResponse"/> per call (over one cached message), because
/// <see cref="FallbackChatClient"/> writes its metadata into the response's <c>AdditionalProperties</c>; a cached
/// response would let it reuse the dictionary from the previous call and hide that allocation. Every variant,
/// the direct baseline included, calls this same client, so the fresh response costs the same in all of them.
/// Streaming: yields the same pre-built updates on every call, but clears the first update's
/// <c>AdditionalProperties</c> first, since a real provider's first update arrives without the metadata the
/// chain adds to it.
/// </remarks>
public sealed class InMemoryChatClient : IChatClient
{
    private readonly ChatMessage _message;
    private readonly ChatResponseUpdate[] _updates;

    public InMemoryChatClient(string text, ChatResponseUpdate[]? updates = null)
    {
        _message = new ChatMessage(ChatRole.Assistant, text);
        _updates = updates ?? [];
    }

    public int Calls { get; private set; }

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Calls++;
        return Task.FromResult(new ChatResponse(_message) { FinishReason = ChatFinishReason.Stop });
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Calls++;
        if (_updates.Length > 0)
        {
            _updates[0].AdditionalProperties = null;
        }

        return new UpdateStream(_updates);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }

    /// <summary>A single-use stream that completes every step synchronously, like a provider whose bytes are already buffered.</summary>
    private sealed class UpdateStream(ChatResponseUpdate[] updates) : IAsyncEnumerable<ChatResponseUpdate>, IAsyncEnumerator<ChatResponseUpdate>
    {
        private int _index = -1;

        public ChatResponseUpdate Current => updates[_index];

        public IAsyncEnumerator<ChatResponseUpdate> GetAsyncEnumerator(CancellationToken cancellationToken = default) => this;

        public ValueTask<bool> MoveNextAsync() => new(++_index < updates.Length);

        public ValueTask DisposeAsync() => default;
    }
}
