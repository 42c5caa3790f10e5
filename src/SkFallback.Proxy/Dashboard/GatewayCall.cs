namespace SkFallback.Proxy.Dashboard;

/// <summary>What the dashboard keeps of one finished chat request: who asked, which chain, every attempt, the outcome.</summary>
/// <param name="At">When it finished.</param>
/// <param name="Model">The virtual model asked for.</param>
/// <param name="KeyId">The gateway key's id (never the key).</param>
/// <param name="Tenant">The tenant the call was charged to, if any.</param>
/// <param name="Streamed">Whether the answer was streamed.</param>
/// <param name="Status">The HTTP status the client got (200, or the error's).</param>
/// <param name="Provider">The provider that answered, if one did.</param>
/// <param name="Attempts">Every attempt, with its secret-free detail.</param>
/// <param name="ContinuedFrom">The providers a continued stream joins, in order, if it was continued.</param>
/// <param name="CostUsd">What the call cost, if known.</param>
/// <param name="Sequence">The call's number among those the dashboard kept (gives its entry a stable id).</param>
internal sealed record GatewayCall(
    DateTimeOffset At,
    string Model,
    string KeyId,
    string? Tenant,
    bool Streamed,
    int Status,
    string? Provider,
    IReadOnlyList<FallbackAttempt> Attempts,
    IReadOnlyList<string>? ContinuedFrom,
    decimal? CostUsd,
    long Sequence = 0)
{
    /// <summary>Gets a value indicating whether the call needed more than its first provider (or failed).</summary>
    public bool FellBack => Status != 200 || Attempts.Any(a => !a.Succeeded) || ContinuedFrom is { Count: > 1 };
}
