using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using SkFallback.Simulator.Content;
using SkFallback.Simulator.RateLimiting;

namespace SkFallback.Simulator.Server;

/// <summary>One provider wire format: how requests read, and how replies, streams and errors are written.</summary>
internal abstract class ChatWire
{
    public abstract WireFormat Format { get; }

    /// <summary>The context window reported by context-length errors when the script sets none.</summary>
    public abstract int DefaultContextWindow { get; }

    public abstract string IdPrefix { get; }

    public abstract string ToolCallIdPrefix { get; }

    public abstract ChatRequestSummary Read(JsonObject body);

    /// <summary>Sets status, headers and body of an error; the caller records the status.</summary>
    public abstract Task WriteErrorAsync(HttpContext context, SimulatedError error, CancellationToken cancellationToken);

    /// <summary>Sets this wire's rate-limit headers (not <c>retry-after</c>) from a rate-limited model's levels.</summary>
    public abstract void WriteRateLimitHeaders(IHeaderDictionary headers, RateLimitStatus status);

    /// <summary>Writes a minimal error for a request the simulator cannot read at all.</summary>
    public abstract Task WriteInvalidRequestAsync(HttpContext context, string message, CancellationToken cancellationToken);

    public abstract JsonObject BuildResponse(ReplyPlan plan);

    /// <summary>A body that claims to be this wire's response and is not valid JSON.</summary>
    public abstract string MalformedBody(ReplyPlan plan);

    public abstract ChatEventStream CreateStream(HttpResponse response, ReplyPlan plan);
}
