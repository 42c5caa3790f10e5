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
}
