namespace SkFallback;

/// <summary>
/// Keys under which a fallback response (and the first and last updates of a fallback stream) carry, in
/// <c>AdditionalProperties</c>, which provider answered and what was tried.
/// </summary>
public static class FallbackMetadataKeys
{
    /// <summary>The name of the provider that produced the answer (<see cref="string"/>).</summary>
    public const string Provider = "skfallback.provider";

    /// <summary>The pinned model id that produced the answer (<see cref="string"/>).</summary>
    public const string Model = "skfallback.model";

    /// <summary>Every attempt of the call, in order (<see cref="IReadOnlyList{T}"/> of <see cref="FallbackAttempt"/>).</summary>
    public const string Attempts = "skfallback.attempts";

    /// <summary>
    /// A <c>ChatOptions.AdditionalProperties</c> key naming the provider to try first for this request (<see cref="string"/>);
    /// the rest of the chain follows in order. Used to keep a tool loop on the provider that started it.
    /// </summary>
    public const string PreferProvider = "skfallback.prefer_provider";
}
