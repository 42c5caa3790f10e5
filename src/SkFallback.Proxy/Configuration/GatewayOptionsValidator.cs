using SkFallback.Proxy.Keys;

namespace SkFallback.Proxy.Configuration;

/// <summary>Checks <see cref="GatewayOptions"/> at startup; every message names its key (<c>SkFallback:Proxy:Keys:0:Hash</c>) and the allowed values.</summary>
internal static class GatewayOptionsValidator
{
    /// <summary>Adds the problems of the options to <paramref name="errors"/>.</summary>
    /// <param name="options">The options.</param>
    /// <param name="offline">Whether the gateway runs offline (a development key is made, so no key is required).</param>
    /// <param name="errors">Where problems are added.</param>
    public static void Validate(GatewayOptions options, bool offline, List<string> errors)
    {
        const string p = GatewayOptions.SectionName;
        if (options.MaxRequestBytes is < 1024 or > 256L * 1024 * 1024)
        {
            errors.Add(FormattableString.Invariant($"{p}:MaxRequestBytes must be between 1024 and 268435456 (was {options.MaxRequestBytes})."));
        }

        if (options.DrainTimeout < TimeSpan.Zero || options.DrainTimeout > TimeSpan.FromMinutes(10))
        {
            errors.Add(FormattableString.Invariant($"{p}:DrainTimeout must be between 00:00:00 and 00:10:00 (was {options.DrainTimeout})."));
        }

        if (options.DevelopmentKey is { Length: < 16 })
        {
            errors.Add($"{p}:DevelopmentKey must be at least 16 characters long.");
        }

        if (!offline && options.Keys.Count == 0)
        {
            errors.Add($"{p}:Keys must list at least one gateway key when chains are configured; create one with 'keys create --tenant NAME'.");
        }

        ValidateRedis(options.Redis, errors);
        ValidateDashboard(options.Dashboard, errors);
        ValidateTelemetry(options.Telemetry, errors);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var hashes = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < options.Keys.Count; i++)
        {
            ValidateKey(options.Keys[i], FormattableString.Invariant($"{p}:Keys:{i}"), ids, hashes, errors);
        }
    }

    private static void ValidateTelemetry(GatewayTelemetryOptions telemetry, List<string> errors)
    {
        const string p = GatewayOptions.SectionName + ":Telemetry";
        if (!Enum.IsDefined(telemetry.Exporter))
        {
            errors.Add($"{p}:Exporter must be None, Console or Otlp (was {telemetry.Exporter}).");
        }

        if (!Enum.IsDefined(telemetry.OtlpProtocol))
        {
            errors.Add($"{p}:OtlpProtocol must be Grpc or HttpProtobuf (was {telemetry.OtlpProtocol}).");
        }

        if (telemetry.OtlpEndpoint is { } endpoint)
        {
            if (!endpoint.IsAbsoluteUri || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps))
            {
                errors.Add($"{p}:OtlpEndpoint must be an absolute http or https URI, such as http://localhost:4317 (its value is not repeated: it may carry credentials).");
            }
            else if (telemetry.Exporter != TelemetryExporter.Otlp)
            {
                errors.Add($"{p}:OtlpEndpoint is set but {p}:Exporter is {telemetry.Exporter}; set Exporter to Otlp or remove the endpoint.");
            }
        }

        if (string.IsNullOrWhiteSpace(telemetry.ServiceName))
        {
            errors.Add($"{p}:ServiceName must not be empty.");
        }
    }

    private static void ValidateRedis(GatewayRedisOptions redis, List<string> errors)
    {
        const string p = GatewayOptions.SectionName;
        if (redis.OutageShare is < 0 or > 1 || double.IsNaN(redis.OutageShare))
        {
            errors.Add(FormattableString.Invariant($"{p}:Redis:OutageShare must be between 0 and 1 (was {redis.OutageShare})."));
        }

        if (redis.HoldTimeout < TimeSpan.FromSeconds(1) || redis.HoldTimeout > TimeSpan.FromDays(1))
        {
            errors.Add(FormattableString.Invariant($"{p}:Redis:HoldTimeout must be between 00:00:01 and 1.00:00:00 (was {redis.HoldTimeout})."));
        }

        if (redis.Configuration is not null && string.IsNullOrWhiteSpace(redis.KeyPrefix))
        {
            errors.Add($"{p}:Redis:KeyPrefix must not be empty.");
        }
    }

    private static void ValidateDashboard(GatewayDashboardOptions dashboard, List<string> errors)
    {
        const string p = GatewayOptions.SectionName + ":Dashboard";
        if (dashboard.AdminKeyHash is not null && !GatewayKeyHash.TryParse(dashboard.AdminKeyHash, out _))
        {
            errors.Add($"{p}:AdminKeyHash must be 'sha256:' followed by 64 hex digits (the Hash 'keys create' prints); the key itself is never stored.");
        }

        if (dashboard.RefreshSeconds is < 1 or > 300)
        {
            errors.Add(FormattableString.Invariant($"{p}:RefreshSeconds must be between 1 and 300 (was {dashboard.RefreshSeconds})."));
        }

        if (dashboard.History < TimeSpan.FromMinutes(1) || dashboard.History > TimeSpan.FromHours(2))
        {
            errors.Add(FormattableString.Invariant($"{p}:History must be between 00:01:00 and 02:00:00 (was {dashboard.History})."));
        }

        if (dashboard.RecentFallbacks is < 1 or > 1000)
        {
            errors.Add(FormattableString.Invariant($"{p}:RecentFallbacks must be between 1 and 1000 (was {dashboard.RecentFallbacks})."));
        }
    }

    private static void ValidateKey(GatewayKeyOptions key, string k, HashSet<string> ids, HashSet<string> hashes, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(key.Id))
        {
            errors.Add($"{k}:Id is required (a name for the key, shown instead of it).");
        }
        else if (!ids.Add(key.Id))
        {
            errors.Add($"{k}:Id '{key.Id}' is used by another key.");
        }

        if (!GatewayKeyHash.TryParse(key.Hash, out _))
        {
            errors.Add($"{k}:Hash must be 'sha256:' followed by 64 hex digits (as 'keys create' prints); the key itself is never stored.");
        }
        else if (!hashes.Add(key.Hash))
        {
            errors.Add($"{k}:Hash is the same as another key's.");
        }

        if (key.RequestsPerMinute is < 1)
        {
            errors.Add(FormattableString.Invariant($"{k}:RequestsPerMinute must be at least 1 (was {key.RequestsPerMinute})."));
        }

        if (key.TokensPerMinute is < 1)
        {
            errors.Add(FormattableString.Invariant($"{k}:TokensPerMinute must be at least 1 (was {key.TokensPerMinute})."));
        }

        if (key.DailyBudgetUsd is < 0)
        {
            errors.Add(FormattableString.Invariant($"{k}:DailyBudgetUsd must not be negative (was {key.DailyBudgetUsd})."));
        }

        if (key.MonthlyBudgetUsd is < 0)
        {
            errors.Add(FormattableString.Invariant($"{k}:MonthlyBudgetUsd must not be negative (was {key.MonthlyBudgetUsd})."));
        }
    }
}
