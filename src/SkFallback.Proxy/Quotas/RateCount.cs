namespace SkFallback.Proxy.Quotas;

/// <summary>A key's counts in the current minute after an admission check.</summary>
/// <param name="Admitted">Whether the request was admitted (and counted).</param>
/// <param name="Limit">Which limit refused it (<c>requests</c> or <c>tokens</c>), when refused.</param>
/// <param name="Requests">Requests counted in the minute, this one included when admitted.</param>
/// <param name="Tokens">Tokens counted in the minute.</param>
internal readonly record struct RateCount(bool Admitted, string? Limit, long Requests, long Tokens);
