using System.ClientModel;
using System.ClientModel.Primitives;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;
using SkFallback.Tests.Fakes;

namespace SkFallback.Tests.Characterization;

/// <summary>One scripted answer of a fake provider: its n-th call runs the n-th step (the last step repeats).</summary>
internal delegate Task<ChatResponse> Step(IEnumerable<ChatMessage> messages, CancellationToken cancellationToken);

/// <summary>One scripted stream of a fake provider.</summary>
internal delegate IAsyncEnumerable<ChatResponseUpdate> StreamStep(IEnumerable<ChatMessage> messages, CancellationToken cancellationToken);

/// <summary>Fake providers for characterization: scripted answers and streams that move a fake clock themselves, so elapsed times are exact.</summary>
internal static class Scripted
{
    public const string Mini = "gpt-4o-mini-2024-07-18";
    public const string Haiku = "claude-haiku-4-5-20251001";
    public const string Gpt4o = "gpt-4o-2024-08-06";

    /// <summary>A provider whose calls run <paramref name="steps"/> in turn (the last one repeats).</summary>
    public static TestChatClient Calls(string name, params Step[] steps)
    {
        var calls = 0;
        return new TestChatClient(name)
        {
            OnResponse = (messages, _, ct) =>
            {
                var step = steps[Math.Min(Interlocked.Increment(ref calls) - 1, steps.Length - 1)];
                try
                {
                    return step(messages, ct);
                }
                catch (Exception ex)
                {
                    return Task.FromException<ChatResponse>(ex);
                }
            },
        };
    }

    /// <summary>A provider whose streams run <paramref name="steps"/> in turn (the last one repeats).</summary>
    public static TestChatClient Streams(string name, params StreamStep[] steps)
    {
        var calls = 0;
        return new TestChatClient(name)
        {
            OnStreaming = (messages, _, ct) => steps[Math.Min(Interlocked.Increment(ref calls) - 1, steps.Length - 1)](messages, ct),
        };
    }

    /// <summary>Answers at once with <paramref name="text"/> after moving the clock by <paramref name="ms"/>; with usage when <paramref name="input"/> is set.</summary>
    public static Step Reply(string text, FakeTimeProvider? clock = null, int ms = 0, long? input = null, long? output = null) => (_, _) =>
    {
        Move(clock, ms);
        var response = new ChatResponse(new ChatMessage(ChatRole.Assistant, text)) { FinishReason = ChatFinishReason.Stop };
        if (input is not null)
        {
            response.Usage = new UsageDetails { InputTokenCount = input, OutputTokenCount = output };
        }

        return Task.FromResult(response);
    };

    /// <summary>Fails at once with <paramref name="exception"/> after moving the clock by <paramref name="ms"/>.</summary>
    public static Step Throw(Func<Exception> exception, FakeTimeProvider? clock = null, int ms = 0) => (_, _) =>
    {
        Move(clock, ms);
        return Task.FromException<ChatResponse>(exception());
    };

    /// <summary>Never answers: waits until its token is cancelled, then throws as a cancelled HTTP call does.</summary>
    public static Step Hang(Action<CancellationToken>? started = null) => async (_, ct) =>
    {
        started?.Invoke(ct);
        await Task.Delay(Timeout.InfiniteTimeSpan, ct).ConfigureAwait(false);
        throw new InvalidOperationException("unreachable");
    };

    /// <summary>Waits for <paramref name="gate"/>, then runs <paramref name="then"/>.</summary>
    public static Step After(Task gate, Step then) => async (messages, ct) =>
    {
        await gate.WaitAsync(ct).ConfigureAwait(false);
        return await then(messages, ct).ConfigureAwait(false);
    };

    /// <summary>
    /// Streams <paramref name="words"/> synchronously (no update makes the caller wait), moving the clock by
    /// <paramref name="msPerWord"/> before each; then, in this order: throws <paramref name="throwAfter"/>, hangs
    /// until cancelled (<paramref name="hang"/>), or ends with a finish reason (when <paramref name="finish"/>)
    /// carrying usage (when <paramref name="input"/> is set).
    /// </summary>
    public static StreamStep Words(
        string words, FakeTimeProvider? clock = null, int msPerWord = 0, Func<Exception>? throwAfter = null, bool hang = false,
        bool finish = true, long? input = null, long? output = null) => (_, ct) => WordStream(words.Split(' '), clock, msPerWord, throwAfter, hang, finish, input, output, ct);

    /// <summary>A stream that fails on its first read, after moving the clock by <paramref name="ms"/>.</summary>
    public static StreamStep Fails(Func<Exception> exception, FakeTimeProvider? clock = null, int ms = 0) => (_, _) => FailStream(exception, clock, ms);

    /// <summary>A stream that opens (a role update) and then produces nothing until cancelled.</summary>
    public static StreamStep Silent() => (_, ct) => SilentStream(ct);

    public static HttpRequestException Status(int status) => Chain.Status(status);

    public static HttpIOException Dropped() => new(HttpRequestError.ResponseEnded, "The response ended prematurely.");

    /// <summary>A 429 as the OpenAI SDK throws it, with a <c>Retry-After</c> header of <paramref name="seconds"/>.</summary>
    public static ClientResultException RateLimited(int seconds) => new(new RateLimitResponse(seconds));

    public static ChatOptions Keys(params (string Key, object? Value)[] properties)
    {
        var options = new ChatOptions { AdditionalProperties = [] };
        foreach (var (key, value) in properties)
        {
            options.AdditionalProperties[key] = value;
        }

        return options;
    }

    private static void Move(FakeTimeProvider? clock, int ms)
    {
        if (ms > 0)
        {
            clock!.Advance(TimeSpan.FromMilliseconds(ms));
        }
    }

    private static async IAsyncEnumerable<ChatResponseUpdate> WordStream(
        string[] words, FakeTimeProvider? clock, int msPerWord, Func<Exception>? throwAfter, bool hang, bool finish, long? input, long? output,
        [EnumeratorCancellation] CancellationToken ct)
    {
        yield return new ChatResponseUpdate { Role = ChatRole.Assistant, MessageId = "m1" };
        for (var i = 0; i < words.Length; i++)
        {
            ct.ThrowIfCancellationRequested();
            Move(clock, msPerWord);
            yield return new ChatResponseUpdate(ChatRole.Assistant, i == 0 ? words[i] : " " + words[i]) { MessageId = "m1" };
        }

        if (throwAfter is not null)
        {
            throw throwAfter();
        }

        if (hang)
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, ct).ConfigureAwait(false);
        }

        if (finish)
        {
            var last = new ChatResponseUpdate { FinishReason = ChatFinishReason.Stop, MessageId = "m1" };
            if (input is not null)
            {
                last.Contents.Add(new UsageContent(new UsageDetails { InputTokenCount = input, OutputTokenCount = output }));
            }

            yield return last;
        }
    }

    private static async IAsyncEnumerable<ChatResponseUpdate> SilentStream([EnumeratorCancellation] CancellationToken ct)
    {
        yield return new ChatResponseUpdate { Role = ChatRole.Assistant, MessageId = "m1" };
        await Task.Delay(Timeout.InfiniteTimeSpan, ct).ConfigureAwait(false);
    }

    private static async IAsyncEnumerable<ChatResponseUpdate> FailStream(Func<Exception> exception, FakeTimeProvider? clock, int ms)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        Move(clock, ms);
        throw exception();
#pragma warning disable CS0162 // the yield makes this an iterator
        yield break;
#pragma warning restore CS0162
    }

    /// <summary>A 429 response with a <c>Retry-After</c> header, for <see cref="ClientResultException"/>.</summary>
    private sealed class RateLimitResponse : PipelineResponse
    {
        private readonly RetryAfterHeaders _headers;

        public RateLimitResponse(int seconds)
        {
            _headers = new RetryAfterHeaders(new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["retry-after"] = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        }

        public override int Status => 429;

        public override string ReasonPhrase => "Too Many Requests";

        public override Stream? ContentStream { get; set; }

        public override BinaryData Content => BinaryData.FromString("""{"error":{"message":"Rate limit reached for requests","type":"requests","code":"rate_limit_exceeded"}}""");

        protected override PipelineResponseHeaders HeadersCore => _headers;

        public override BinaryData BufferContent(CancellationToken cancellationToken = default) => Content;

        public override ValueTask<BinaryData> BufferContentAsync(CancellationToken cancellationToken = default) => new(Content);

        public override void Dispose()
        {
        }

        private sealed class RetryAfterHeaders : PipelineResponseHeaders
        {
            private readonly Dictionary<string, string> _values;

            public RetryAfterHeaders(Dictionary<string, string> values)
            {
                _values = values;
            }

            public override bool TryGetValue(string name, out string? value)
            {
                var found = _values.TryGetValue(name, out var text);
                value = text;
                return found;
            }

            public override bool TryGetValues(string name, out IEnumerable<string>? values)
            {
                var found = _values.TryGetValue(name, out var text);
                values = found ? [text!] : null;
                return found;
            }

            public override IEnumerator<KeyValuePair<string, string>> GetEnumerator() => _values.GetEnumerator();
        }
    }
}
