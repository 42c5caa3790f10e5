namespace ConsoleAgent;

/// <summary>Where a scripted turn's answer must come from: a provider, or the response cache with the provider that first produced it.</summary>
/// <param name="Provider">The provider that answered (or, from the cache, originally answered); any provider when <see langword="null"/>.</param>
/// <param name="FromCache">Whether the answer must be served from the cache, with no request reaching any provider (offline, read from the simulator's log).</param>
internal sealed record AnswerSource(string? Provider, bool FromCache);
