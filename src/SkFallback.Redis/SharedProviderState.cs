using System.Globalization;
using System.Text.Json;
using SkFallback.CircuitBreaking;
using StackExchange.Redis;

namespace SkFallback.Redis;

/// <summary>One provider's record as Redis holds it (and publishes it after every applied change), with its version.</summary>
/// <param name="Change">The state, as the engine sees it; <see cref="ProviderStateChange.Origin"/> is the replica that last changed it.</param>
/// <param name="Version">Monotonic per provider: assigned by the script from the Redis clock, never lower than the previous version plus one.</param>
internal sealed record SharedProviderState(ProviderStateChange Change, long Version)
{
    /// <summary>Reads a message of the changes channel (JSON written by <see cref="ProviderStateScript"/>); <see langword="null"/> if malformed.</summary>
    public static SharedProviderState? FromMessage(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            string? key = null, state = null, openUntil = null, cooldownUntil = null, origin = null, version = null;
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                string? name = reader.GetString();
                reader.Read();
                string? value = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                switch (name)
                {
                    case "k": key = value; break;
                    case "s": state = value; break;
                    case "o": openUntil = value; break;
                    case "c": cooldownUntil = value; break;
                    case "r": origin = value; break;
                    case "v": version = value; break;
                    default: reader.TrySkip(); break;
                }
            }

            return Create(key, state, openUntil, cooldownUntil, origin, version);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Reads a provider hash (HGETALL); <see langword="null"/> if a field is missing or malformed.</summary>
    public static SharedProviderState? FromHash(string providerKey, HashEntry[] entries)
    {
        string? state = null, openUntil = null, cooldownUntil = null, origin = null, version = null;
        foreach (var entry in entries)
        {
            switch ((string?)entry.Name)
            {
                case "state": state = entry.Value; break;
                case "openUntil": openUntil = entry.Value; break;
                case "cooldownUntil": cooldownUntil = entry.Value; break;
                case "origin": origin = entry.Value; break;
                case "version": version = entry.Value; break;
                default: break;
            }
        }

        return Create(providerKey, state, openUntil, cooldownUntil, origin, version);
    }

    private static SharedProviderState? Create(string? key, string? state, string? openUntil, string? cooldownUntil, string? origin, string? version)
    {
        if (key is null || origin is null
            || !TryParseTicks(openUntil, out long openTicks)
            || !TryParseTicks(cooldownUntil, out long cooldownTicks)
            || !long.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out long v))
        {
            return null;
        }

        CircuitState circuit;
        switch (state)
        {
            case ProviderStateScript.Open: circuit = CircuitState.Open; break;
            case ProviderStateScript.Closed: circuit = CircuitState.Closed; break;
            default: return null;
        }

        var change = new ProviderStateChange(
            key,
            circuit,
            new DateTimeOffset(openTicks, TimeSpan.Zero),
            cooldownTicks == 0 ? null : new DateTimeOffset(cooldownTicks, TimeSpan.Zero),
            origin);
        return new SharedProviderState(change, v);
    }

    private static bool TryParseTicks(string? value, out long ticks) =>
        long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out ticks)
        && ticks >= DateTimeOffset.MinValue.UtcTicks && ticks <= DateTimeOffset.MaxValue.UtcTicks;
}
