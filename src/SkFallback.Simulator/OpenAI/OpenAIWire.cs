using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using System.Text;
using SkFallback.Simulator.Content;
using SkFallback.Simulator.RateLimiting;
using SkFallback.Simulator.Scripting;
using SkFallback.Simulator.Server;

namespace SkFallback.Simulator.OpenAI;

/// <summary>The OpenAI chat-completions wire format.</summary>
internal sealed class OpenAIWire : ChatWire
{
    public override WireFormat Format => WireFormat.OpenAI;

    public override int DefaultContextWindow => 128_000;

    public override string IdPrefix => "chatcmpl-";

    public override string ToolCallIdPrefix => "call_";

    public override ChatRequestSummary Read(JsonObject body) => OpenAIRequestReader.Read(body);

    public override Task WriteErrorAsync(HttpContext context, SimulatedError error, CancellationToken cancellationToken)
    {
        var behavior = error.Behavior;
        var headers = context.Response.Headers;
        (int status, string message, string type, string? param, string? code) = behavior.Kind switch
        {
            BehaviorKind.RateLimited when error.RateLimits?.Refusal is { } refusal => (429, RefusalMessage(error.Model, refusal),
                refusal.OnTokens ? "tokens" : "requests", null, "rate_limit_exceeded"),
            BehaviorKind.RateLimited => (429,
                $"Rate limit reached for requests per min (RPM) on model {error.Model}: Limit 60, Used 60, Requested 1. Please try again in {Math.Ceiling(behavior.RetryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture)}s.",
                "requests", null, "rate_limit_exceeded"),
            BehaviorKind.ServerError => (behavior.StatusCode, ServerErrorMessage(behavior.StatusCode), "server_error", null, null),
            BehaviorKind.RefusalError => (400,
                "Your request was rejected as a result of our safety system. Your prompt may contain content that violates our content policy.",
                "invalid_request_error", "messages", "content_filter"),
            BehaviorKind.ContextLengthExceeded => (400,
                string.Create(CultureInfo.InvariantCulture, $"This model's maximum context length is {error.ContextWindow} tokens. However, your messages resulted in {error.PromptTokens} tokens. Please reduce the length of the messages."),
                "invalid_request_error", "messages", "context_length_exceeded"),
            BehaviorKind.Unauthorized => (401,
                "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.",
                "invalid_request_error", null, "invalid_api_key"),
            BehaviorKind.UnauthorizedEcho => (401,
                $"Incorrect API key provided: {error.PresentedKey}. You can find your API key at https://platform.openai.com/account/api-keys.",
                "invalid_request_error", null, "invalid_api_key"),
            _ => (400,
                "Invalid value for 'temperature': the simulator was scripted to reject this request as a caller error.",
                "invalid_request_error", "temperature", "invalid_value"),
        };

        if (behavior.Kind == BehaviorKind.RateLimited)
        {
            var seconds = (long)Math.Ceiling(behavior.RetryAfter.TotalSeconds);
            headers["retry-after"] = seconds.ToString(CultureInfo.InvariantCulture);
            headers["retry-after-ms"] = ((long)Math.Ceiling(behavior.RetryAfter.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture);
            if (error.RateLimits is null)
            {
                // A model without rate limits still answers a scripted 429 with plausible headers.
                headers["x-ratelimit-limit-requests"] = "60";
                headers["x-ratelimit-remaining-requests"] = "0";
                headers["x-ratelimit-reset-requests"] = behavior.RetryAfter.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + "s";
            }
        }

        return WriteErrorBodyAsync(context, status, message, type, param, code, cancellationToken);
    }

    /// <summary>
    /// The six <c>x-ratelimit-*</c> headers of OpenAI's rate-limits guide: limits, remaining, and resets as the time
    /// until the bucket is back to its initial (full) state, written as durations such as <c>20ms</c>, <c>1.5s</c>, <c>6m0s</c>.
    /// </summary>
    public override void WriteRateLimitHeaders(IHeaderDictionary headers, RateLimitStatus status)
    {
        headers["x-ratelimit-limit-requests"] = status.RequestsLimit.ToString(CultureInfo.InvariantCulture);
        headers["x-ratelimit-limit-tokens"] = status.TokensLimit.ToString(CultureInfo.InvariantCulture);
        headers["x-ratelimit-remaining-requests"] = status.RequestsRemaining.ToString(CultureInfo.InvariantCulture);
        headers["x-ratelimit-remaining-tokens"] = status.TokensRemaining.ToString(CultureInfo.InvariantCulture);
        headers["x-ratelimit-reset-requests"] = Duration(status.RequestsUntilFull);
        headers["x-ratelimit-reset-tokens"] = Duration(status.TokensUntilFull);
    }

    /// <summary>
    /// A duration as OpenAI writes it in reset headers and 429 messages (Go's notation): whole milliseconds below a
    /// second (<c>20ms</c>), otherwise hours, minutes and seconds with up to three decimals (<c>1.5s</c>, <c>6m0s</c>).
    /// Rounded up to the millisecond, so a client that waits that long finds the bucket refilled.
    /// </summary>
    internal static string Duration(TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            return "0s";
        }

        var milliseconds = (value.Ticks + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond;
        if (milliseconds < 1000)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{milliseconds}ms");
        }

        var builder = new StringBuilder();
        var hours = milliseconds / 3_600_000;
        var minutes = milliseconds / 60_000 % 60;
        if (hours > 0)
        {
            builder.Append(CultureInfo.InvariantCulture, $"{hours}h");
        }

        if (hours > 0 || minutes > 0)
        {
            builder.Append(CultureInfo.InvariantCulture, $"{minutes}m");
        }

        var seconds = milliseconds % 60_000 / 1000m;
        return builder.Append(seconds.ToString("0.###", CultureInfo.InvariantCulture)).Append('s').ToString();
    }

    public override Task WriteInvalidRequestAsync(HttpContext context, string message, CancellationToken cancellationToken) =>
        WriteErrorBodyAsync(context, 400, message, "invalid_request_error", null, null, cancellationToken);

    public override JsonObject BuildResponse(ReplyPlan plan)
    {
        var message = new JsonObject
        {
            ["role"] = "assistant",
            ["content"] = plan.ToolName is not null ? null : plan.Text,
            ["refusal"] = plan.IsRefusal ? plan.Text : null,
        };
        if (plan.ToolName is not null)
        {
            message["tool_calls"] = new JsonArray(new JsonObject
            {
                ["id"] = plan.ToolCallId,
                ["type"] = "function",
                ["function"] = new JsonObject { ["name"] = plan.ToolName, ["arguments"] = plan.ToolArgumentsJson },
            });
        }

        message["annotations"] = new JsonArray();
        return new JsonObject
        {
            ["id"] = plan.Id,
            ["object"] = "chat.completion",
            ["created"] = plan.Created,
            ["model"] = plan.Model,
            ["choices"] = new JsonArray(new JsonObject
            {
                ["index"] = 0,
                ["message"] = message,
                ["logprobs"] = null,
                ["finish_reason"] = FinishReason(plan.Finish),
            }),
            ["usage"] = Usage(plan.PromptTokens, plan.Billed(plan.CompletionTokens)),
            ["service_tier"] = "default",
            ["system_fingerprint"] = "fp_simulator",
        };
    }

    public override string MalformedBody(ReplyPlan plan) =>
        $"{{\"id\":\"{plan.Id}\",\"object\":\"chat.completion\",\"choices\":[{{\"index\":0,\"message\":{{\"role\":\"assistant\",\"content\":<<not json>>";

    public override ChatEventStream CreateStream(HttpResponse response, ReplyPlan plan) => new OpenAIEventStream(response, plan);

    internal static string FinishReason(ReplyFinish finish) => finish switch
    {
        ReplyFinish.Length => "length",
        ReplyFinish.ToolCalls => "tool_calls",
        ReplyFinish.ContentFilter => "content_filter",
        _ => "stop",
    };

    internal static JsonObject Usage(int promptTokens, int completionTokens) => new()
    {
        ["prompt_tokens"] = promptTokens,
        ["completion_tokens"] = completionTokens,
        ["total_tokens"] = promptTokens + completionTokens,
        ["prompt_tokens_details"] = new JsonObject { ["cached_tokens"] = 0, ["audio_tokens"] = 0 },
        ["completion_tokens_details"] = new JsonObject { ["reasoning_tokens"] = 0, ["audio_tokens"] = 0, ["accepted_prediction_tokens"] = 0, ["rejected_prediction_tokens"] = 0 },
    };

    private static string RefusalMessage(string model, RateLimitRefusal refusal)
    {
        var unit = refusal.OnTokens ? "tokens per min (TPM)" : "requests per min (RPM)";
        return refusal.ExceedsLimit
            ? string.Create(CultureInfo.InvariantCulture,
                $"Request too large for {model} in organization org-simulator on {unit}: Limit {refusal.Limit}, Requested {refusal.Requested}. The input or output tokens must be reduced in order to run successfully. Visit https://platform.openai.com/account/rate-limits to learn more.")
            : string.Create(CultureInfo.InvariantCulture,
                $"Rate limit reached for {model} in organization org-simulator on {unit}: Limit {refusal.Limit}, Used {refusal.Limit - refusal.Remaining}, Requested {refusal.Requested}. Please try again in {Duration(refusal.RetryAfter)}. Visit https://platform.openai.com/account/rate-limits to learn more.");
    }

    private static string ServerErrorMessage(int status) => status switch
    {
        502 => "Bad gateway.",
        503 => "The server is overloaded or not ready yet.",
        504 => "Gateway timeout.",
        _ => "The server had an error while processing your request. Sorry about that!",
    };

    private static Task WriteErrorBodyAsync(HttpContext context, int status, string message, string type, string? param, string? code, CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["error"] = new JsonObject { ["message"] = message, ["type"] = type, ["param"] = param, ["code"] = code },
        };
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(body.ToJsonString(WireJson.Options), cancellationToken);
    }
}
