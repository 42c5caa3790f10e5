using SkFallback.Events;

namespace SkFallback.Cli.Events;

/// <summary>
/// Which events a command looks at: by provider (the one that answered or any attempted), failure reason (any attempt's),
/// outcome, tenant and time (from <see cref="Since"/> inclusive to <see cref="Until"/> exclusive). Unset parts match all.
/// </summary>
internal sealed record EventFilter
{
    /// <summary>Gets the provider name.</summary>
    public string? Provider { get; init; }

    /// <summary>Gets the failure reason an attempt must have.</summary>
    public FailureKind? Reason { get; init; }

    /// <summary>Gets the outcome.</summary>
    public FallbackEventOutcome? Outcome { get; init; }

    /// <summary>Gets the tenant.</summary>
    public string? Tenant { get; init; }

    /// <summary>Gets the earliest call start.</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>Gets the end of the time window.</summary>
    public DateTimeOffset? Until { get; init; }

    /// <summary>Whether the event matches every part set.</summary>
    public bool Matches(FallbackEvent e) =>
        (Provider is null || e.Provider == Provider || e.Attempts.Any(a => a.Provider == Provider))
        && (Reason is not { } reason || e.Attempts.Any(a => a.Reason == reason && (Provider is null || a.Provider == Provider)))
        && (Outcome is not { } outcome || e.Outcome == outcome)
        && (Tenant is null || string.Equals(e.Tenant, Tenant, StringComparison.OrdinalIgnoreCase))
        && (Since is not { } since || e.Time >= since)
        && (Until is not { } until || e.Time < until);
}
