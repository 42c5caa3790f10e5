using Microsoft.Extensions.AI;

namespace SkFallback.Proxy.Wire;

/// <summary>A chat request read from either wire, in Microsoft.Extensions.AI terms.</summary>
/// <param name="Model">The model name the client sent.</param>
/// <param name="Messages">The conversation.</param>
/// <param name="Options">The sampling, tool and format options; request keys are added by the gateway.</param>
/// <param name="Stream">Whether the client asked for a stream.</param>
/// <param name="IncludeUsage">Whether an OpenAI stream ends with a usage chunk (<c>stream_options.include_usage</c>).</param>
internal sealed record GatewayChatRequest(string Model, IList<ChatMessage> Messages, ChatOptions Options, bool Stream, bool IncludeUsage);
