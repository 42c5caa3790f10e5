namespace SkFallback.Proxy.Keys;

/// <summary>
/// One key's requests and tokens in the current minute and its spend in the current UTC day and month. Windows are
/// fixed (they restart at each whole minute, day and month of the gateway's clock).
/// </summary>
internal sealed class KeyUsage
{
    private readonly Lock _gate = new();
    private long _minute = long.MinValue;
    private int _requests;
    private long _tokens;
    private DateOnly _day;
    private decimal _daySpent;
    private (int Year, int Month) _month;
    private decimal _monthSpent;

    /// <summary>Admits a request against the per-minute limits, counting it when admitted.</summary>
    /// <param name="now">The current time.</param>
    /// <param name="requestsPerMinute">The request limit, if any.</param>
    /// <param name="tokensPerMinute">The token limit, if any.</param>
    /// <returns>The decision, with what remains and when the window resets.</returns>
    public RateDecision Admit(DateTimeOffset now, int? requestsPerMinute, long? tokensPerMinute)
    {
        var minute = now.ToUnixTimeSeconds() / 60;
        var reset = DateTimeOffset.FromUnixTimeSeconds((minute + 1) * 60);
        lock (_gate)
        {
            if (minute != _minute)
            {
                _minute = minute;
                _requests = 0;
                _tokens = 0;
            }

            if (requestsPerMinute is int rpm && _requests >= rpm)
            {
                return new RateDecision(false, "requests", rpm, 0, tokensPerMinute, Remaining(tokensPerMinute, _tokens), reset);
            }

            if (tokensPerMinute is long tpm && _tokens >= tpm)
            {
                return new RateDecision(false, "tokens", requestsPerMinute, Remaining(requestsPerMinute, _requests), tpm, 0, reset);
            }

            _requests++;
            return new RateDecision(true, null, requestsPerMinute, Remaining(requestsPerMinute, _requests), tokensPerMinute, Remaining(tokensPerMinute, _tokens), reset);
        }
    }

    /// <summary>Counts the tokens a finished request used.</summary>
    /// <param name="now">The current time.</param>
    /// <param name="tokens">The tokens.</param>
    public void AddTokens(DateTimeOffset now, long tokens)
    {
        var minute = now.ToUnixTimeSeconds() / 60;
        lock (_gate)
        {
            if (minute != _minute)
            {
                _minute = minute;
                _requests = 0;
                _tokens = 0;
            }

            _tokens += tokens;
        }
    }

    /// <summary>Whether the key's daily and monthly budgets leave anything to spend.</summary>
    /// <param name="now">The current time.</param>
    /// <param name="daily">The daily budget, if any.</param>
    /// <param name="monthly">The monthly budget, if any.</param>
    /// <param name="exhausted">Which budget is exhausted (<c>daily</c> or <c>monthly</c>).</param>
    /// <returns>Whether a request may be made.</returns>
    public bool HasBudget(DateTimeOffset now, decimal? daily, decimal? monthly, out string? exhausted)
    {
        lock (_gate)
        {
            Roll(now);
            exhausted = daily is decimal d && _daySpent >= d ? "daily" : monthly is decimal m && _monthSpent >= m ? "monthly" : null;
            return exhausted is null;
        }
    }

    /// <summary>Records what a request cost.</summary>
    /// <param name="now">The current time.</param>
    /// <param name="costUsd">The cost.</param>
    public void AddSpend(DateTimeOffset now, decimal costUsd)
    {
        lock (_gate)
        {
            Roll(now);
            _daySpent += costUsd;
            _monthSpent += costUsd;
        }
    }

    /// <summary>Gets what the key spent today and this month.</summary>
    /// <param name="now">The current time.</param>
    /// <returns>The two totals.</returns>
    public (decimal Day, decimal Month) Spent(DateTimeOffset now)
    {
        lock (_gate)
        {
            Roll(now);
            return (_daySpent, _monthSpent);
        }
    }

    private static long? Remaining(long? limit, long used) => limit is long l ? Math.Max(0, l - used) : null;

    private static int? Remaining(int? limit, int used) => limit is int l ? Math.Max(0, l - used) : null;

    private void Roll(DateTimeOffset now)
    {
        var day = DateOnly.FromDateTime(now.UtcDateTime);
        if (day != _day)
        {
            _day = day;
            _daySpent = 0;
        }

        var month = (day.Year, day.Month);
        if (month != _month)
        {
            _month = month;
            _monthSpent = 0;
        }
    }
}
