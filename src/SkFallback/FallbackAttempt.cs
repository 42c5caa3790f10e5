namespace SkFallback;

/// <summary>One attempt (or one deliberate skip) of one provider within one fallback call.</summary>
/// <param name="Provider">The configured provider name.</param>
/// <param name="Model">The pinned model id the provider was asked for.</param>
/// <param name="Outcome"><see cref="FailureKind.None"/> for the attempt that answered; otherwise why it did not.</param>
/// <param name="StatusCode">The HTTP status the provider answered with, when there was one.</param>
/// <param name="Elapsed">Time spent on this attempt, including reading a stream up to its failure.</param>
/// <param name="Retry">0 for the first attempt on this provider within the call, 1 for its first retry, and so on.</param>
/// <param name="Detail">A short, secret-free description of the failure (exception type and provider message).</param>
/// <param name="Skipped">Whether the provider was passed over without being called (cooling down, or a context window too small).</param>
public sealed record FallbackAttempt(
    string Provider,
    string Model,
    FailureKind Outcome,
    int? StatusCode,
    TimeSpan Elapsed,
    int Retry = 0,
    string? Detail = null,
    bool Skipped = false)
{
    /// <summary>Gets a value indicating whether this attempt produced the answer.</summary>
    public bool Succeeded => Outcome == FailureKind.None;

    /// <inheritdoc />
    public override string ToString()
    {
        var status = StatusCode is int code ? $" HTTP {code}" : string.Empty;
        var retry = Retry > 0 ? $" (retry {Retry})" : string.Empty;
        if (Skipped)
        {
            return $"{Provider}/{Model}: skipped, {Outcome}{(string.IsNullOrEmpty(Detail) ? string.Empty : ": " + Detail)}";
        }

        var detail = string.IsNullOrEmpty(Detail) ? string.Empty : $": {Detail}";
        return $"{Provider}/{Model}{retry}: {Outcome}{status} after {Elapsed.TotalMilliseconds:0} ms{detail}";
    }
}
