using System.Text.Json;
using SkFallback.Simulator.Scripting;

namespace SkFallback.Simulator;

/// <summary>
/// What a simulated model does with one request: answer normally, call a tool, or fail in one of the ways real
/// providers fail. Immutable; create instances with the static factories.
/// </summary>
public sealed record SimulatedBehavior
{
    private SimulatedBehavior(BehaviorKind kind, string name)
    {
        Kind = kind;
        Name = name;
    }

    /// <summary>Gets the short snake_case name of the behaviour, as written in the request log and in JSON scripts.</summary>
    public string Name { get; }

    internal BehaviorKind Kind { get; }

    internal string? Text { get; private init; }

    internal string? FunctionName { get; private init; }

    internal string? ArgumentsJson { get; private init; }

    internal TimeSpan RetryAfter { get; private init; }

    internal int StatusCode { get; private init; }

    internal int Tokens { get; private init; }

    internal TimeSpan? Duration { get; private init; }

    /// <summary>Gets whether the provider refuses or breaks before doing any work (so no rate-limit bucket is charged).</summary>
    internal bool IsFault => Kind is BehaviorKind.RateLimited or BehaviorKind.ServerError or BehaviorKind.Hang
        or BehaviorKind.ConnectionReset or BehaviorKind.RefusalError or BehaviorKind.ContextLengthExceeded
        or BehaviorKind.BadRequest or BehaviorKind.Unauthorized or BehaviorKind.UnauthorizedEcho;

    /// <summary>A normal reply: the deterministic words of <see cref="ProviderSimulator.ExpectedReply"/>.</summary>
    /// <returns>The behaviour.</returns>
    public static SimulatedBehavior Ok() => new(BehaviorKind.Ok, "ok");

    /// <summary>A normal reply with the given text.</summary>
    /// <param name="text">The reply text; it is streamed word by word.</param>
    /// <returns>The behaviour.</returns>
    public static SimulatedBehavior Reply(string text)
    {
        ArgumentException.ThrowIfNullOrEmpty(text);
        return new(BehaviorKind.Reply, "reply") { Text = text };
    }

    /// <summary>The model asks for one function call (finish reason <c>tool_calls</c> / stop reason <c>tool_use</c>).</summary>
    /// <param name="functionName">The function name.</param>
    /// <param name="argumentsJson">The arguments as a JSON object.</param>
    /// <returns>The behaviour.</returns>
    public static SimulatedBehavior ToolCall(string functionName, string argumentsJson)
    {
        ArgumentException.ThrowIfNullOrEmpty(functionName);
        ArgumentException.ThrowIfNullOrEmpty(argumentsJson);
        using (var document = JsonDocument.Parse(argumentsJson))
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ArgumentException("The tool call arguments must be a JSON object.", nameof(argumentsJson));
            }
        }

        return new(BehaviorKind.ToolCall, "tool_call") { FunctionName = functionName, ArgumentsJson = argumentsJson };
    }

    /// <summary>
    /// Streaming: the model starts the function call and the connection is cut after <paramref name="fragments"/>
    /// argument fragments (8 characters each), so a client holds an incomplete tool call; non-streaming: the body is
    /// cut in the middle, as <see cref="DropAfter"/>.
    /// </summary>
    /// <param name="functionName">The function name.</param>
    /// <param name="argumentsJson">The arguments as a JSON object.</param>
    /// <param name="fragments">Argument fragments sent before the drop (0 sends only the call's opening).</param>
    /// <returns>The behaviour.</returns>
    public static SimulatedBehavior ToolCallDropAfter(string functionName, string argumentsJson, int fragments)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fragments);
        var call = ToolCall(functionName, argumentsJson);
        return new(BehaviorKind.ToolCallDropAfter, "tool_call_drop_after") { FunctionName = call.FunctionName, ArgumentsJson = call.ArgumentsJson, Tokens = fragments };
    }

    /// <summary>
    /// A reply stopped by the provider's content filter after <paramref name="tokens"/> content tokens: finish reason
    /// <c>content_filter</c> (OpenAI) or stop reason <c>refusal</c> (Anthropic) with the text sent so far.
    /// </summary>
    /// <param name="tokens">Content tokens sent before the filter stops the reply.</param>
    /// <returns>The behaviour.</returns>
    public static SimulatedBehavior ContentFilterAfter(int tokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokens);
        return new(BehaviorKind.ContentFilterAfter, "content_filter_after") { Tokens = tokens };
    }

    /// <summary>429 with <c>retry-after</c> (whole seconds, rounded up) and the provider's rate-limit headers.</summary>
    /// <param name="retryAfter">The advertised wait.</param>
    /// <returns>The behaviour.</returns>
    public static SimulatedBehavior RateLimited(TimeSpan retryAfter)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(retryAfter, TimeSpan.Zero);
        return new(BehaviorKind.RateLimited, "rate_limited") { RetryAfter = retryAfter };
    }

    /// <summary>The 429 a rate-limited model's buckets answer when they cannot cover a request (not scriptable).</summary>
    internal static SimulatedBehavior RateLimitedByBucket(TimeSpan retryAfter) =>
        new(BehaviorKind.RateLimited, "rate_limited_bucket") { RetryAfter = retryAfter };

    /// <summary>A server error with the given 5xx status (500, 502, 503, 504; 529 is Anthropic's overloaded).</summary>
    /// <param name="statusCode">The status code, 500 to 599.</param>
    /// <returns>The behaviour.</returns>
    public static SimulatedBehavior ServerError(int statusCode = 500)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(statusCode, 500);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(statusCode, 599);
        return new(BehaviorKind.ServerError, "server_error") { StatusCode = statusCode };
    }

    /// <summary>Accepts the request and never answers until the client disconnects.</summary>
    /// <returns>The behaviour.</returns>
    public static SimulatedBehavior Hang() => new(BehaviorKind.Hang, "hang");

    /// <summary>Aborts the connection before any response byte.</summary>
    /// <returns>The behaviour.</returns>
    public static SimulatedBehavior ConnectionReset() => new(BehaviorKind.ConnectionReset, "connection_reset");

    /// <summary>Streaming: aborts the connection after <paramref name="tokens"/> content tokens; non-streaming: aborts mid-body.</summary>
    /// <param name="tokens">Content tokens sent before the drop.</param>
    /// <returns>The behaviour.</returns>
    public static SimulatedBehavior DropAfter(int tokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokens);
        return new(BehaviorKind.DropAfter, "drop_after") { Tokens = tokens };
    }

    /// <summary>Stops sending after <paramref name="afterTokens"/> content tokens, for <paramref name="duration"/> or until the client disconnects.</summary>
    /// <param name="afterTokens">Content tokens sent before the stall.</param>
    /// <param name="duration">The stall length; <see langword="null"/> stalls until the client disconnects.</param>
    /// <returns>The behaviour.</returns>
    public static SimulatedBehavior Stall(int afterTokens, TimeSpan? duration = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterTokens);
        if (duration is { } d)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(d, TimeSpan.Zero, nameof(duration));
        }

        return new(BehaviorKind.Stall, "stall") { Tokens = afterTokens, Duration = duration };
    }

    /// <summary>
    /// Streaming: closes cleanly after <paramref name="tokens"/> content tokens with no terminal event;
    /// non-streaming: a valid 200 whose JSON body is cut short.
    /// </summary>
    /// <param name="tokens">Content tokens sent before the clean close.</param>
    /// <returns>The behaviour.</returns>
    public static SimulatedBehavior TruncateAfter(int tokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokens);
        return new(BehaviorKind.TruncateAfter, "truncate_after") { Tokens = tokens };
    }

    /// <summary>200 with a body (or an SSE data line) that is not valid JSON.</summary>
    /// <returns>The behaviour.</returns>
    public static SimulatedBehavior MalformedJson() => new(BehaviorKind.MalformedJson, "malformed_json");

    /// <summary>A 400 refusing the request on content-policy grounds.</summary>
    /// <returns>The behaviour.</returns>
    public static SimulatedBehavior RefusalError() => new(BehaviorKind.RefusalError, "refusal_error");

    /// <summary>200 with finish reason <c>content_filter</c> (OpenAI) or stop reason <c>refusal</c> (Anthropic) and no text.</summary>
    /// <returns>The behaviour.</returns>
    public static SimulatedBehavior ContentFilter() => new(BehaviorKind.ContentFilter, "content_filter");

    /// <summary>200 with a normal finish whose text is a refusal; OpenAI also sets <c>refusal</c>.</summary>
    /// <returns>The behaviour.</returns>
    public static SimulatedBehavior RefusalText() => new(BehaviorKind.RefusalText, "refusal_text");

    /// <summary>The wire's 400 context-length error.</summary>
    /// <returns>The behaviour.</returns>
    public static SimulatedBehavior ContextLengthExceeded() => new(BehaviorKind.ContextLengthExceeded, "context_length_exceeded");

    /// <summary>A 400 caller error (<c>invalid_request_error</c>) unrelated to context length or policy.</summary>
    /// <returns>The behaviour.</returns>
    public static SimulatedBehavior BadRequest() => new(BehaviorKind.BadRequest, "bad_request");

    /// <summary>A 401 authentication error.</summary>
    /// <returns>The behaviour.</returns>
    public static SimulatedBehavior Unauthorized() => new(BehaviorKind.Unauthorized, "unauthorized");

    /// <summary>
    /// A 401 whose error message quotes the credential the request carried (bearer token, <c>x-api-key</c> or a
    /// <c>key</c> query parameter), as some providers and gateways do.
    /// </summary>
    /// <returns>The behaviour.</returns>
    public static SimulatedBehavior UnauthorizedEcho() => new(BehaviorKind.UnauthorizedEcho, "unauthorized_echo");

    /// <summary>A 200 whose JSON body (or, streaming, whose one event-stream line) never ends (stopped after 2 GiB).</summary>
    /// <returns>The behaviour.</returns>
    public static SimulatedBehavior Endless() => new(BehaviorKind.Endless, "endless");
}
