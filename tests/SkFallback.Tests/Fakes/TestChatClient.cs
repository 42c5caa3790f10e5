using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace SkFallback.Tests.Fakes;

/// <summary>A hand-written chat client whose behaviour each test scripts with delegates.</summary>
internal sealed class TestChatClient : IChatClient
{
    private int _calls;

    public TestChatClient(string name = "test")
    {
        Name = name;
    }

    public string Name { get; }

    public int Calls => Volatile.Read(ref _calls);

    public List<List<ChatMessage>> ReceivedMessages { get; } = [];

    public List<ChatOptions?> ReceivedOptions { get; } = [];

    public Func<IEnumerable<ChatMessage>, ChatOptions?, CancellationToken, Task<ChatResponse>>? OnResponse { get; set; }

    public Func<IEnumerable<ChatMessage>, ChatOptions?, CancellationToken, IAsyncEnumerable<ChatResponseUpdate>>? OnStreaming { get; set; }

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Record(messages, options);
        return OnResponse is null
            ? Task.FromResult(Answer(Name))
            : OnResponse(messages, options, cancellationToken);
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Record(messages, options);
        return OnStreaming is null
            ? Words(cancellationToken, $"answer from {Name}".Split(' '))
            : OnStreaming(messages, options, cancellationToken);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }

    public static ChatResponse Answer(string name, ChatFinishReason? finish = null) =>
        new(new ChatMessage(ChatRole.Assistant, $"answer from {name}")) { FinishReason = finish ?? ChatFinishReason.Stop };

    /// <summary>Streams the words then a finish reason (or none, when <paramref name="finish"/> is false).</summary>
    public static async IAsyncEnumerable<ChatResponseUpdate> Words(
        [EnumeratorCancellation] CancellationToken cancellationToken, string[] words, bool finish = true, Exception? throwAfter = null, ChatFinishReason? finishReason = null)
    {
        await Task.Yield();
        yield return new ChatResponseUpdate { Role = ChatRole.Assistant };
        for (var i = 0; i < words.Length; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return new ChatResponseUpdate(ChatRole.Assistant, i == 0 ? words[i] : " " + words[i]);
        }

        if (throwAfter is not null)
        {
            throw throwAfter;
        }

        if (finish)
        {
            yield return new ChatResponseUpdate { FinishReason = finishReason ?? ChatFinishReason.Stop };
        }
    }

    /// <summary>A stream that never produces anything until cancelled.</summary>
    public static async IAsyncEnumerable<ChatResponseUpdate> Hang([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
        yield break;
    }

    /// <summary>A stream that fails before producing anything.</summary>
    public static async IAsyncEnumerable<ChatResponseUpdate> Fail(Exception exception)
    {
        await Task.Yield();
        throw exception;
#pragma warning disable CS0162 // the yield makes this an iterator
        yield break;
#pragma warning restore CS0162
    }

    private void Record(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        Interlocked.Increment(ref _calls);
        lock (ReceivedMessages)
        {
            ReceivedMessages.Add(messages.ToList());
            ReceivedOptions.Add(options);
        }
    }
}
