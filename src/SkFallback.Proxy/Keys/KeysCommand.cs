using System.Globalization;

namespace SkFallback.Proxy.Keys;

/// <summary><c>keys create --tenant NAME</c>: makes a key, prints it once, and prints the configuration entry that holds only its hash.</summary>
internal static class KeysCommand
{
    /// <summary>Runs the command.</summary>
    /// <param name="args">The arguments after <c>keys create</c>.</param>
    /// <param name="output">Where the key and the entry go.</param>
    /// <param name="error">Where usage errors go.</param>
    /// <returns>The exit code.</returns>
    public static int Create(string[] args, TextWriter output, TextWriter error)
    {
        string? tenant = null, id = null, models = null, rpm = null, tpm = null, daily = null, monthly = null;
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--tenant": tenant = value; i++; break;
                case "--id": id = value; i++; break;
                case "--models": models = value; i++; break;
                case "--rpm": rpm = value; i++; break;
                case "--tpm": tpm = value; i++; break;
                case "--daily": daily = value; i++; break;
                case "--monthly": monthly = value; i++; break;
                default:
                    error.WriteLine($"keys create: unknown option '{args[i]}'.");
                    return 2;
            }
        }

        if (string.IsNullOrWhiteSpace(tenant))
        {
            error.WriteLine("keys create: --tenant NAME is required.");
            return 2;
        }

        if (!Number(rpm, "--rpm", error, out var rpmValue) || !Number(tpm, "--tpm", error, out var tpmValue)
            || !Usd(daily, "--daily", error, out var dailyValue) || !Usd(monthly, "--monthly", error, out var monthlyValue))
        {
            return 2;
        }

        var key = GatewayKeyHash.NewKey();
        id ??= $"{tenant}-{DateTimeOffset.UtcNow:yyyyMMddHHmmss}";
        var entry = Entry(id, GatewayKeyHash.Hash(key), tenant, models, rpmValue, tpmValue, dailyValue, monthlyValue);
        output.WriteLine($"New gateway key for tenant '{tenant}' (shown once; the gateway keeps only its hash):");
        output.WriteLine();
        output.WriteLine("  " + key);
        output.WriteLine();
        output.WriteLine("Add this entry to SkFallback:Proxy:Keys in appsettings.json:");
        output.WriteLine();
        output.WriteLine("  " + entry);
        return 0;
    }

    /// <summary>The configuration entry of a new key: its id, hash, tenant and limits, as one JSON object.</summary>
    private static string Entry(string id, string hash, string tenant, string? models, long? rpmValue, long? tpmValue, decimal? dailyValue, decimal? monthlyValue)
    {
        var entry = new System.Text.StringBuilder();
        entry.Append(CultureInfo.InvariantCulture, $"{{ \"Id\": \"{id}\", \"Hash\": \"{hash}\", \"Tenant\": \"{tenant}\"");
        if (!string.IsNullOrWhiteSpace(models))
        {
            entry.Append(", \"Models\": [ ").AppendJoin(", ", models.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(m => $"\"{m}\"")).Append(" ]");
        }

        if (rpmValue is long r)
        {
            entry.Append(CultureInfo.InvariantCulture, $", \"RequestsPerMinute\": {r}");
        }

        if (tpmValue is long t)
        {
            entry.Append(CultureInfo.InvariantCulture, $", \"TokensPerMinute\": {t}");
        }

        if (dailyValue is decimal d)
        {
            entry.Append(CultureInfo.InvariantCulture, $", \"DailyBudgetUsd\": {d}");
        }

        if (monthlyValue is decimal m)
        {
            entry.Append(CultureInfo.InvariantCulture, $", \"MonthlyBudgetUsd\": {m}");
        }

        entry.Append(" }");
        return entry.ToString();
    }

    private static bool Number(string? text, string name, TextWriter error, out long? value)
    {
        value = null;
        if (text is null)
        {
            return true;
        }

        if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) && parsed > 0)
        {
            value = parsed;
            return true;
        }

        error.WriteLine($"keys create: {name} must be a positive integer (was '{text}').");
        return false;
    }

    private static bool Usd(string? text, string name, TextWriter error, out decimal? value)
    {
        value = null;
        if (text is null)
        {
            return true;
        }

        if (decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out var parsed) && parsed >= 0)
        {
            value = parsed;
            return true;
        }

        error.WriteLine($"keys create: {name} must be a non-negative number of US dollars (was '{text}').");
        return false;
    }
}
