using System.Globalization;
using SkFallback.CircuitBreaking;
using StackExchange.Redis;

namespace SkFallback.Redis;

/// <summary>
/// The Lua script that merges one change into a provider's hash atomically and publishes the result. Its rules, which
/// make the shared state move forward only:
/// <list type="bullet">
/// <item><description>An Open wins over a Closed (or no record) always: failures seen now are news.</description></item>
/// <item><description>An Open wins over an Open only with a later <c>openUntil</c> (the longest break wins).</description></item>
/// <item><description>
/// A Closed wins over an Open only when the closing replica had seen that Open: its base version (the newest version it
/// had received for the provider) is at least the stored version, or it wrote the stored record itself. A replica that
/// has not heard of a newer Open cannot close it.
/// </description></item>
/// <item><description>A Closed over a Closed or over no record changes nothing.</description></item>
/// <item><description>The cooldown moves only later (a later <c>cooldownUntil</c> wins); it is never cleared, it lapses.</description></item>
/// <item><description>
/// When either part applies, the version becomes max(old version + 1, Redis clock in µs), so it grows even across the
/// key's expiry; the key expires at the latest expiry asked for; a breaker change deletes the provider's probe lease (a
/// new break or a close starts a new probe round); and the merged record is PUBLISHed as JSON. Ticks are compared as
/// decimal strings (Lua numbers are doubles and would round them).
/// </description></item>
/// </list>
/// Returns <c>{applied (0 or 1), version}</c>.
/// </summary>
internal static class ProviderStateScript
{
    public const string Open = "open";
    public const string Closed = "closed";

    /// <summary>The breaker part of a change that is not shared (a half-open state stays local).</summary>
    public const string None = "none";

    // KEYS[1] provider hash, KEYS[2] probe lease.
    // ARGV: 1 state (open|closed|none), 2 openUntil ticks, 3 cooldownUntil ticks ('' = none), 4 origin,
    //       5 base version, 6 expire-at unix ms, 7 channel, 8 provider key.
    public const string Source = """
        if redis.replicate_commands then redis.replicate_commands() end
        local function later(a, b)
          if #a ~= #b then return #a > #b end
          return a > b
        end
        local cur = redis.call('HMGET', KEYS[1], 'state', 'openUntil', 'cooldownUntil', 'origin', 'version', 'expiresAt')
        local curState = cur[1] or ''
        local curOpen = cur[2] or '0'
        local curCool = cur[3] or '0'
        local curOrigin = cur[4] or ''
        local curVersion = tonumber(cur[5] or '0') or 0
        local curExpires = tonumber(cur[6] or '0') or 0
        local newState, newOpen, newCool = curState, curOpen, curCool
        local breaker = false
        if ARGV[1] == 'open' then
          if curState ~= 'open' or later(ARGV[2], curOpen) then
            newState = 'open'; newOpen = ARGV[2]; breaker = true
          end
        elseif ARGV[1] == 'closed' then
          if curState == 'open' and ((tonumber(ARGV[5]) or 0) >= curVersion or curOrigin == ARGV[4]) then
            newState = 'closed'; newOpen = '0'; breaker = true
          end
        end
        local cooled = false
        if ARGV[3] ~= '' and later(ARGV[3], curCool) then
          newCool = ARGV[3]; cooled = true
        end
        if not breaker and not cooled then
          return {0, curVersion}
        end
        if newState == '' then newState = 'closed' end
        local t = redis.call('TIME')
        local version = math.max(curVersion + 1, tonumber(t[1]) * 1000000 + tonumber(t[2]))
        local versionText = string.format('%.0f', version)
        local expires = string.format('%.0f', math.max(curExpires, tonumber(ARGV[6])))
        redis.call('HSET', KEYS[1], 'state', newState, 'openUntil', newOpen, 'cooldownUntil', newCool,
          'origin', ARGV[4], 'version', versionText, 'expiresAt', expires)
        redis.call('PEXPIREAT', KEYS[1], expires)
        if breaker then redis.call('DEL', KEYS[2]) end
        redis.call('PUBLISH', ARGV[7], cjson.encode({k = ARGV[8], s = newState, o = newOpen, c = newCool, r = ARGV[4], v = versionText}))
        return {1, version}
        """;

    /// <summary>Builds the script's arguments for <paramref name="change"/>.</summary>
    public static RedisValue[] Arguments(ProviderStateChange change, long baseVersion, DateTimeOffset now, TimeSpan retention, RedisKeys keys)
    {
        string state = change.State switch
        {
            CircuitState.Open => Open,
            CircuitState.Closed => Closed,
            _ => None,
        };

        var lastMoment = now;
        if (change.State == CircuitState.Open && change.OpenUntil > lastMoment)
        {
            lastMoment = change.OpenUntil;
        }

        if (change.CooldownUntil is { } cooldown && cooldown > lastMoment)
        {
            lastMoment = cooldown;
        }

        long expireAt = lastMoment.ToUnixTimeMilliseconds() + (long)retention.TotalMilliseconds;

        return
        [
            state,
            change.State == CircuitState.Open ? Ticks(change.OpenUntil) : "0",
            change.CooldownUntil is { } until ? Ticks(until) : string.Empty,
            change.Origin,
            baseVersion,
            expireAt,
            keys.Channel.ToString(),
            change.ProviderKey,
        ];
    }

    private static string Ticks(DateTimeOffset value) => value.UtcTicks.ToString(CultureInfo.InvariantCulture);
}
