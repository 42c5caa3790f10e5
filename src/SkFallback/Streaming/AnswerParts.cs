using Microsoft.Extensions.AI;
using SkFallback.Cost;
using SkFallback.Engine;
using SkFallback.Routing;

namespace SkFallback.Streaming;

/// <summary>
/// The parts of a streamed answer that was continued: which providers wrote it, in order, and the usage of the parts
/// whose providers broke off before reporting it. Made at the first break, so a plain stream carries none.
/// </summary>
internal sealed class AnswerParts
{
    private readonly List<string> _providers = [];
    private UsageDetails? _unreported;

    /// <summary>A part broke off after it reached the caller: its provider is listed and what it used estimated.</summary>
    public void Broke(ChainProvider provider, ReadOnlySpan<ChatResponseUpdate> delivered, TokenEstimator tokens, IEnumerable<ChatMessage> messages, ChatOptions? options, bool promptBilled)
    {
        _unreported = UnreportedUsage.Add(_unreported, delivered, tokens, provider.Model, messages, options, promptBilled);
        _providers.Add(provider.Name);
    }

    /// <summary>The update that closes a good stream: its provider, the call's attempts and cost, and, for a continued answer, its parts.</summary>
    public static ChatResponseUpdate Trailer(AnswerParts? parts, ChainProvider provider, CallState call, Attempt attempt)
    {
        var trailer = new ChatResponseUpdate { AdditionalProperties = new(provider.MetadataTemplate) };
        var properties = trailer.AdditionalProperties;
        properties[FallbackMetadataKeys.Attempts] = call.Attempts;
        if (call.Routing is not null || attempt.PricedCost is not null)
        {
            CostMeter.Annotate(properties, attempt);
        }

        parts?.Annotate(trailer, provider, call);
        return trailer;
    }

    /// <summary>Completes the trailer of the joined answer: every provider that wrote part of it, its whole cost, and the usage the broken parts never reported.</summary>
    public void Annotate(ChatResponseUpdate trailer, ChainProvider last, CallState call)
    {
        _providers.Add(last.Name);
        var properties = trailer.AdditionalProperties!;
        properties[FallbackMetadataKeys.ContinuedFrom] = _providers;
        if (call.Spent > 0)
        {
            properties[FallbackMetadataKeys.CostUsd] = call.Spent;
        }

        if (_unreported is not null)
        {
            trailer.Contents.Add(new UsageContent(_unreported));
        }
    }
}
