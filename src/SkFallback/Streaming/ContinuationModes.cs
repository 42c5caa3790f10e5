namespace SkFallback.Streaming;

/// <summary>The continuation mode a provider kind supports when its configuration says nothing else.</summary>
internal static class ContinuationModes
{
    /// <summary>
    /// Anthropic prefills; Mistral answers prefix completions with the prefix repeated; DeepSeek offers prefix
    /// completion only on its beta endpoint (a path ending in <c>/beta</c>); everything else is instructed.
    /// </summary>
    public static ContinuationMode For(string kind, Uri? endpoint)
    {
        if (string.Equals(kind, ProviderKinds.Anthropic, StringComparison.OrdinalIgnoreCase))
        {
            return ContinuationMode.AssistantPrefill;
        }

        if (string.Equals(kind, ProviderKinds.Mistral, StringComparison.OrdinalIgnoreCase))
        {
            return ContinuationMode.PrefixCompletionEchoed;
        }

        if (string.Equals(kind, ProviderKinds.DeepSeek, StringComparison.OrdinalIgnoreCase)
            && endpoint is not null
            && endpoint.AbsolutePath.TrimEnd('/').EndsWith("/beta", StringComparison.OrdinalIgnoreCase))
        {
            return ContinuationMode.PrefixCompletion;
        }

        return ContinuationMode.Instructed;
    }
}
