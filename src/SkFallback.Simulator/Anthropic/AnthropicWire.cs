using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using SkFallback.Simulator.Content;
using SkFallback.Simulator.RateLimiting;
using SkFallback.Simulator.Scripting;
using SkFallback.Simulator.Server;

namespace SkFallback.Simulator.Anthropic;

/// <summary>The Anthropic messages wire format.</summary>
internal sealed class AnthropicWire(TimeProvider timeProvider) : ChatWire
{
    public override WireFormat Format => WireFormat.Anthropic;

    public override int DefaultContextWindow => 200_000;

    public override string IdPrefix => "msg_";

    public override string ToolCallIdPrefix => "toolu_";

    public override ChatRequestSummary Read(JsonObject body) => AnthropicRequestReader.Read(body);

    public override Task WriteErrorAsync(HttpContext context, SimulatedError error, CancellationToken cancellationToken)
    {
        var behavior = error.Behavior;
        (int status, string type, string message) = behavior.Kind switch
        {
            BehaviorKind.RateLimited when error.RateLimits?.Refusal is { } refusal => (429, "rate_limit_error", RefusalMessage(refusal)),
            BehaviorKind.RateLimited => (429, "rate_limit_error",
                "This request would exceed the rate limit for your organization of 50 requests per minute. Please reduce the request rate or try again later."),
            BehaviorKind.ServerError when behavior.StatusCode == 529 => (529, "overloaded_error", "Overloaded"),
            BehaviorKind.ServerError => (behavior.StatusCode, "api_error", "Internal server error"),
            BehaviorKind.RefusalError => (400, "invalid_request_error",
                "Output blocked by content filtering policy: the request was declined under the usage policy."),
            BehaviorKind.ContextLengthExceeded => (400, "invalid_request_error",
                string.Create(CultureInfo.InvariantCulture, $"prompt is too long: {error.PromptTokens} tokens > {error.ContextWindow} maximum")),
            BehaviorKind.Unauthorized => (401, "authentication_error", "invalid x-api-key"),
            BehaviorKind.UnauthorizedEcho => (401, "authentication_error", $"invalid x-api-key: {error.PresentedKey}"),
            _ => (400, "invalid_request_error", "temperature: Input should be less than or equal to 1 (the simulator was scripted to reject this request as a caller error)."),
        };

        if (behavior.Kind == BehaviorKind.RateLimited)
        {
            var headers = context.Response.Headers;
            var reset = timeProvider.GetUtcNow() + behavior.RetryAfter;
            headers["retry-after"] = ((long)Math.Ceiling(behavior.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            if (error.RateLimits is null)
            {
                // A model without rate limits still answers a scripted 429 with plausible headers.
                headers["anthropic-ratelimit-requests-limit"] = "50";
                headers["anthropic-ratelimit-requests-remaining"] = "0";
                headers["anthropic-ratelimit-requests-reset"] = reset.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            }
        }

        return WriteErrorBodyAsync(context, status, type, message, cancellationToken);
    }

    /// <summary>
    /// The <c>anthropic-ratelimit-*</c> headers of Anthropic's rate-limits page: requests, tokens, and the
    /// input-tokens and output-tokens variants, each with limit, remaining, and reset as the RFC 3339 time the bucket
    /// is fully replenished. The simulator has one tokens bucket (prompt plus maximum output), so the input and
    /// output variants report that same bucket. Remaining tokens are exact, not rounded to the thousand.
    /// </summary>
    public override void WriteRateLimitHeaders(IHeaderDictionary headers, RateLimitStatus status)
    {
        var requestsReset = Rfc3339(status.Now + status.RequestsUntilFull);
        var tokensReset = Rfc3339(status.Now + status.TokensUntilFull);
        var tokensLimit = status.TokensLimit.ToString(CultureInfo.InvariantCulture);
        var tokensRemaining = status.TokensRemaining.ToString(CultureInfo.InvariantCulture);
        headers["anthropic-ratelimit-requests-limit"] = status.RequestsLimit.ToString(CultureInfo.InvariantCulture);
        headers["anthropic-ratelimit-requests-remaining"] = status.RequestsRemaining.ToString(CultureInfo.InvariantCulture);
        headers["anthropic-ratelimit-requests-reset"] = requestsReset;
        foreach (var family in TokenHeaderFamilies)
        {
            headers[family + "-limit"] = tokensLimit;
            headers[family + "-remaining"] = tokensRemaining;
            headers[family + "-reset"] = tokensReset;
        }
    }

    /// <summary>An RFC 3339 UTC time in whole seconds, as Anthropic sends them, rounded up so the bucket is full by then.</summary>
    internal static string Rfc3339(DateTimeOffset time)
    {
        var ticks = time.UtcTicks;
        var whole = (ticks + TimeSpan.TicksPerSecond - 1) / TimeSpan.TicksPerSecond * TimeSpan.TicksPerSecond;
        return new DateTimeOffset(whole, TimeSpan.Zero).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
    }

    private static readonly string[] TokenHeaderFamilies =
        ["anthropic-ratelimit-tokens", "anthropic-ratelimit-input-tokens", "anthropic-ratelimit-output-tokens"];

    public override Task WriteInvalidRequestAsync(HttpContext context, string message, CancellationToken cancellationToken) =>
        WriteErrorBodyAsync(context, 400, "invalid_request_error", message, cancellationToken);

    public override JsonObject BuildResponse(ReplyPlan plan)
    {
        var content = new JsonArray();
        if (plan.ToolName is not null)
        {
            content.Add(ToolUseBlock(plan, JsonNode.Parse(plan.ToolArgumentsJson ?? "{}")));
        }
        else if (plan.Tokens.Count > 0)
        {
            content.Add(new JsonObject { ["type"] = "text", ["text"] = plan.Text });
        }

        var message = MessageEnvelope(plan, content, StopReason(plan.Finish));
        message["usage"] = Usage(plan.PromptTokens, plan.Billed(plan.CompletionTokens));
        return message;
    }

    public override string MalformedBody(ReplyPlan plan) =>
        $"{{\"id\":\"{plan.Id}\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[{{\"type\":\"text\",\"text\":<<not json>>";

    public override ChatEventStream CreateStream(HttpResponse response, ReplyPlan plan) => new AnthropicEventStream(response, plan);

    internal static JsonObject MessageEnvelope(ReplyPlan plan, JsonArray content, string? stopReason) => new()
    {
        ["id"] = plan.Id,
        ["type"] = "message",
        ["role"] = "assistant",
        ["model"] = plan.Model,
        ["content"] = content,
        ["stop_reason"] = stopReason,
        ["stop_sequence"] = null,
    };

    internal static JsonObject ToolUseBlock(ReplyPlan plan, JsonNode? input) => new()
    {
        ["type"] = "tool_use",
        ["id"] = plan.ToolCallId,
        ["name"] = plan.ToolName,
        ["input"] = input,
    };

    internal static string StopReason(ReplyFinish finish) => finish switch
    {
        ReplyFinish.Length => "max_tokens",
        ReplyFinish.ToolCalls => "tool_use",
        ReplyFinish.ContentFilter => "refusal",
        _ => "end_turn",
    };

    internal static JsonObject Usage(int inputTokens, int outputTokens) => new()
    {
        ["input_tokens"] = inputTokens,
        ["cache_creation_input_tokens"] = 0,
        ["cache_read_input_tokens"] = 0,
        ["output_tokens"] = outputTokens,
        ["service_tier"] = "standard",
    };

    private static string RefusalMessage(RateLimitRefusal refusal) => refusal.OnTokens
        ? string.Create(CultureInfo.InvariantCulture,
            $"This request would exceed your organization's rate limit of {refusal.Limit:N0} tokens per minute. For details, refer to: https://docs.anthropic.com/en/api/rate-limits. You can see the response headers for current usage. Please reduce the prompt length or the maximum tokens requested, or try again later.")
        : string.Create(CultureInfo.InvariantCulture,
            $"This request would exceed your organization's rate limit of {refusal.Limit:N0} requests per minute. For details, refer to: https://docs.anthropic.com/en/api/rate-limits. You can see the response headers for current usage. Please reduce the request rate or try again later.");

    private static Task WriteErrorBodyAsync(HttpContext context, int status, string type, string message, CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["type"] = "error",
            ["error"] = new JsonObject { ["type"] = type, ["message"] = message },
            ["request_id"] = "req_simulator",
        };
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(body.ToJsonString(WireJson.Options), cancellationToken);
    }
}
