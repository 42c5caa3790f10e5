using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.AI;
using SkFallback.Engine;
using SkFallback.Hedging;

namespace SkFallback.Diagnostics;

/// <summary>
/// Each attempt as the OpenTelemetry GenAI conventions see it: one <c>chat {model}</c> span of kind Client, the
/// attempt's own (parented to the call's span explicitly, so racing attempts never share one through
/// <see cref="Activity.Current"/>), and the <c>gen_ai.client.*</c> metrics. Nothing is allocated when nobody listens.
/// </summary>
internal sealed class AttemptTelemetry
{
    private static readonly double[] DurationBuckets = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
    private static readonly int[] TokenBuckets = [1, 4, 16, 64, 256, 1_024, 4_096, 16_384, 65_536, 262_144, 1_048_576, 4_194_304, 16_777_216, 67_108_864];
    private static readonly string[] BreakerNames = Enum.GetNames<CircuitBreaking.CircuitState>();

    private readonly ActivitySource _source;
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _firstChunk;
    private readonly Histogram<int> _tokens;
    private readonly SecretRedactor? _content;

    /// <param name="source">The chain's activity source.</param>
    /// <param name="meter">The chain's meter.</param>
    /// <param name="content">Masks keys in message content; <see langword="null"/> when content is not captured.</param>
    public AttemptTelemetry(ActivitySource source, Meter meter, SecretRedactor? content)
    {
        _source = source;
        _content = content;
        _duration = meter.CreateHistogram<double>(FallbackTelemetry.OperationDurationInstrument, "s", "Duration of one provider attempt (a GenAI client operation).", tags: null, advice: new() { HistogramBucketBoundaries = DurationBuckets });
        _firstChunk = meter.CreateHistogram<double>(FallbackTelemetry.TimeToFirstChunkInstrument, "s", "Time from a streaming attempt's start to its first chunk with content.", tags: null, advice: new() { HistogramBucketBoundaries = DurationBuckets });
        _tokens = meter.CreateHistogram<int>(FallbackTelemetry.TokenUsageInstrument, "{token}", "Tokens a provider reported per attempt.", tags: null, advice: new() { HistogramBucketBoundaries = TokenBuckets });
    }

    /// <summary>
    /// Starts the attempt's span, a child of the call's, and leaves <see cref="Activity.Current"/> as it was: the
    /// attempt's span is current only while its request is sent (<see cref="Enter"/>).
    /// </summary>
    public Activity? Start(CallState call, Attempt attempt, RaceSlot? slot, bool streaming, bool continuation)
    {
        if (!_source.HasListeners())
        {
            return null;
        }

        var provider = attempt.Provider;
        var identity = provider.Identity;
        var previous = Activity.Current;
        var span = _source.StartActivity(identity.SpanName, ActivityKind.Client, call.Activity?.Context ?? default);
        if (span is null)
        {
            return null;
        }

        Activity.Current = previous;
        var index = call.AttemptsStarted++;
        if (!span.IsAllDataRequested)
        {
            return span;
        }

        span.SetTag(FallbackTelemetry.OperationNameTag, FallbackTelemetry.ChatOperation);
        span.SetTag(FallbackTelemetry.ProviderNameTag, identity.ProviderName);
        span.SetTag(FallbackTelemetry.RequestModelTag, provider.Model);
        if (identity.ServerAddress is { } address)
        {
            span.SetTag(FallbackTelemetry.ServerAddressTag, address);
            span.SetTag(FallbackTelemetry.ServerPortTag, identity.ServerPort);
        }

        if (streaming)
        {
            span.SetTag(FallbackTelemetry.RequestStreamTag, true);
        }

        span.SetTag(FallbackTelemetry.ProviderTag, provider.Name);
        span.SetTag(FallbackTelemetry.AttemptIndexTag, index);
        span.SetTag(FallbackTelemetry.AttemptRetryTag, attempt.Retry);
        if (index > 0 && call.LastFailure is { } reason)
        {
            span.SetTag(FallbackTelemetry.FallbackReasonTag, FallbackTelemetry.OutcomeName(reason));
        }

        if (provider.Breaker is { } breaker)
        {
            span.SetTag(FallbackTelemetry.BreakerStateTag, BreakerNames[(int)breaker.State]);
        }

        if (slot is not null)
        {
            span.SetTag(FallbackTelemetry.RaceRoleTag, slot.Role);
        }

        if (continuation && call.LastFailedProvider is { } from)
        {
            span.SetTag(FallbackTelemetry.ContinuedFromTag, from);
        }

        return span;
    }

    /// <summary>The attempt's request goes out: its span is made current (for the HTTP spans under it) and, when opted in, the messages are put on it.</summary>
    /// <returns>The activity that was current, to give back with <see cref="Activity.Current"/> once the request is sent.</returns>
    public Activity? Enter(Activity span, IEnumerable<ChatMessage> messages)
    {
        var previous = Activity.Current;
        Activity.Current = span;
        if (_content is not null && span.IsAllDataRequested)
        {
            span.SetTag(FallbackTelemetry.InputMessagesTag, MessageContent.Serialize(messages, null, _content));
        }

        return previous;
    }

    /// <summary>What a whole answer says about itself: its id, finish reason and, when opted in, its messages.</summary>
    public void Answered(Attempt attempt, ChatResponse response)
    {
        if (attempt.Span is not { IsAllDataRequested: true } span)
        {
            return;
        }

        if (response.ResponseId is { Length: > 0 } id)
        {
            span.SetTag(FallbackTelemetry.ResponseIdTag, id);
        }

        if (_content is not null)
        {
            span.SetTag(FallbackTelemetry.OutputMessagesTag, MessageContent.Serialize(response.Messages, response.FinishReason, _content));
        }
    }

    /// <summary>What a streamed answer delivered, when content is opted in.</summary>
    public void Streamed(Attempt attempt, ReadOnlySpan<ChatResponseUpdate> delivered)
    {
        if (_content is null || attempt.Span is not { IsAllDataRequested: true } span)
        {
            return;
        }

        var text = new System.Text.StringBuilder();
        foreach (var update in delivered)
        {
            text.Append(update.Text);
        }

        span.SetTag(FallbackTelemetry.OutputMessagesTag, MessageContent.SerializeText(text.ToString(), attempt.FinishReason, _content));
    }

    /// <summary>A streaming attempt's first chunk with content arrived <paramref name="elapsed"/> after its start.</summary>
    public void FirstChunk(Attempt attempt, TimeSpan elapsed)
    {
        if (_firstChunk.Enabled)
        {
            var tags = Tags(attempt);
            _firstChunk.Record(elapsed.TotalSeconds, tags);
        }

        attempt.Span?.SetTag(FallbackTelemetry.TimeToFirstChunkTag, elapsed.TotalSeconds);
    }

    /// <summary>The attempt answered: usage (read before the charge takes it), finish reason and cost on its span, which ends; duration and tokens recorded.</summary>
    public void Succeeded(Attempt attempt, UsageDetails? usage, TimeSpan elapsed)
    {
        if (attempt.Reported)
        {
            return;
        }

        attempt.Reported = true;
        var model = attempt.ResponseModel ?? attempt.Provider.Model;
        if (_duration.Enabled || _tokens.Enabled)
        {
            var tags = Tags(attempt);
            tags.Add(FallbackTelemetry.ResponseModelTag, model);
            _duration.Record(elapsed.TotalSeconds, tags);
            RecordTokens(usage, tags);
        }

        if (attempt.Span is not { } span)
        {
            return;
        }

        attempt.Span = null;
        if (span.IsAllDataRequested)
        {
            span.SetTag(FallbackTelemetry.ResponseModelTag, model);
            if (attempt.FinishReason is { } finish)
            {
                span.SetTag(FallbackTelemetry.FinishReasonsTag, FinishReasons(finish));
            }

            Usage(span, attempt, usage);
        }

        span.Stop();
    }

    /// <summary>The attempt failed (or was abandoned): <c>error.type</c> names the failure kind; its span ends with an error status.</summary>
    public void Failed(Attempt attempt, UsageDetails? usage, FailureKind kind, int? statusCode, TimeSpan elapsed)
    {
        if (attempt.Reported)
        {
            return;
        }

        attempt.Reported = true;
        var errorType = FallbackTelemetry.OutcomeName(kind);
        if (_duration.Enabled || _tokens.Enabled)
        {
            var tags = Tags(attempt);
            RecordTokens(usage, tags);
            tags.Add(FallbackTelemetry.ErrorTypeTag, errorType);
            _duration.Record(elapsed.TotalSeconds, tags);
        }

        if (attempt.Span is not { } span)
        {
            return;
        }

        attempt.Span = null;
        if (span.IsAllDataRequested)
        {
            span.SetTag(FallbackTelemetry.ErrorTypeTag, errorType);
            if (statusCode is int status)
            {
                span.SetTag(FallbackTelemetry.HttpStatusTag, status);
            }

            Usage(span, attempt, usage);
        }

        // The kind only: a provider's own text may carry what the caller sent.
        span.SetStatus(ActivityStatusCode.Error, errorType);
        span.Stop();
    }

    /// <summary>A race's loser answered after it lost: its span ends without an error, the answer unused.</summary>
    public static void Unused(Attempt attempt)
    {
        if (attempt.Reported)
        {
            return;
        }

        attempt.Reported = true;
        if (attempt.Span is { } span)
        {
            attempt.Span = null;
            span.SetTag(FallbackTelemetry.RaceWonTag, false);
            span.Stop();
        }
    }

    private static string[] FinishReasons(ChatFinishReason reason)
    {
        if (reason == ChatFinishReason.Stop)
        {
            return StopReason;
        }

        if (reason == ChatFinishReason.ToolCalls)
        {
            return ToolCallsReason;
        }

        if (reason == ChatFinishReason.Length)
        {
            return LengthReason;
        }

        return [reason.Value];
    }

    private static readonly string[] StopReason = ["stop"];
    private static readonly string[] ToolCallsReason = ["tool_calls"];
    private static readonly string[] LengthReason = ["length"];

    private static void Usage(Activity span, Attempt attempt, UsageDetails? usage)
    {
        if (usage is not null)
        {
            if (usage.InputTokenCount is long input)
            {
                span.SetTag(FallbackTelemetry.InputTokensTag, (int)input);
            }

            if (usage.OutputTokenCount is long output)
            {
                span.SetTag(FallbackTelemetry.OutputTokensTag, (int)output);
            }
        }

        if (attempt.PricedCost is decimal cost)
        {
            span.SetTag(FallbackTelemetry.CostTag, (double)cost);
        }
    }

    private void RecordTokens(UsageDetails? usage, TagList tags)
    {
        if (!_tokens.Enabled || usage is null)
        {
            return;
        }

        if (usage.InputTokenCount is long input)
        {
            var inputTags = tags;
            inputTags.Add(FallbackTelemetry.TokenTypeTag, "input");
            _tokens.Record((int)input, inputTags);
        }

        if (usage.OutputTokenCount is long output)
        {
            tags.Add(FallbackTelemetry.TokenTypeTag, "output");
            _tokens.Record((int)output, tags);
        }
    }

    private static TagList Tags(Attempt attempt)
    {
        var provider = attempt.Provider;
        var identity = provider.Identity;
        var tags = new TagList
        {
            { FallbackTelemetry.OperationNameTag, FallbackTelemetry.ChatOperation },
            { FallbackTelemetry.ProviderNameTag, identity.ProviderName },
            { FallbackTelemetry.RequestModelTag, provider.Model },
            { FallbackTelemetry.ProviderTag, provider.Name },
        };
        if (identity.ServerAddress is { } address)
        {
            tags.Add(FallbackTelemetry.ServerAddressTag, address);
            tags.Add(FallbackTelemetry.ServerPortTag, identity.ServerPort);
        }

        return tags;
    }
}
