namespace SkFallback.Simulator.Scripting;

/// <summary>What a <see cref="SimulatedBehavior"/> does; the wire responders switch on it.</summary>
internal enum BehaviorKind
{
    Ok,
    Reply,
    ToolCall,
    RateLimited,
    ServerError,
    Hang,
    ConnectionReset,
    DropAfter,
    Stall,
    TruncateAfter,
    MalformedJson,
    RefusalError,
    ContentFilter,
    RefusalText,
    ContextLengthExceeded,
    BadRequest,
    Unauthorized,
    UnauthorizedEcho,
    Endless,
    ToolCallDropAfter,
    ContentFilterAfter,
}
