namespace SkFallback.Proxy.Quotas;

/// <summary>
/// The Lua scripts of <see cref="RedisQuotaStore"/>. Each runs atomically in Redis, so replicas never interleave inside
/// a check-and-hold. An account is a hash (<c>spent</c>, <c>held</c>, and <c>h:{id}</c> per hold) beside a sorted set
/// of its holds by expiry; amounts travel as integer strings (never through Lua number formatting, which would turn
/// large integers into exponents).
/// </summary>
internal static class QuotaScripts
{
    /// <summary>
    /// KEYS: per account its hash and its expiry set. ARGV: now (ms), expiry (ms), hold id, amount, then per account its
    /// limit and lifetime (s). Drops expired holds, then holds the amount on every account if each has
    /// spent &lt; limit and spent + held + amount ≤ limit (settled spend at the limit admits nothing, not even 0). Returns {1 or 0, refusing account index, then spent and held per account}.
    /// </summary>
    public const string Hold = """
        local now = tonumber(ARGV[1])
        local n = #KEYS / 2
        for i = 1, n do
          local h = KEYS[2 * i - 1]
          local z = KEYS[2 * i]
          local old = redis.call('ZRANGEBYSCORE', z, '-inf', now)
          for _, hid in ipairs(old) do
            local a = redis.call('HGET', h, 'h:' .. hid)
            if a then
              redis.call('HINCRBY', h, 'held', '-' .. a)
              redis.call('HDEL', h, 'h:' .. hid)
            end
            redis.call('ZREM', z, hid)
          end
        end
        local amount = tonumber(ARGV[4])
        local result = {1, 0}
        for i = 1, n do
          local h = KEYS[2 * i - 1]
          local s = tonumber(redis.call('HGET', h, 'spent') or '0')
          local d = tonumber(redis.call('HGET', h, 'held') or '0')
          result[2 * i + 1] = s
          result[2 * i + 2] = d
          local limit = tonumber(ARGV[3 + 2 * i])
          if result[1] == 1 and (s >= limit or s + d + amount > limit) then
            result[1] = 0
            result[2] = i
          end
        end
        if result[1] == 0 then
          return result
        end
        for i = 1, n do
          local h = KEYS[2 * i - 1]
          local z = KEYS[2 * i]
          local ttl = ARGV[4 + 2 * i]
          redis.call('HSET', h, 'h:' .. ARGV[3], ARGV[4])
          redis.call('HINCRBY', h, 'held', ARGV[4])
          redis.call('ZADD', z, ARGV[2], ARGV[3])
          redis.call('EXPIRE', h, ttl)
          redis.call('EXPIRE', z, ttl)
          result[2 * i + 2] = result[2 * i + 2] + amount
        end
        return result
        """;

    /// <summary>
    /// KEYS: per account its hash and its expiry set. ARGV: hold id (<c>-</c> for none), cost, then per account its
    /// lifetime (s). Releases the hold where it still exists and charges the cost. Returns spent and held per account.
    /// </summary>
    public const string Settle = """
        local n = #KEYS / 2
        local result = {}
        for i = 1, n do
          local h = KEYS[2 * i - 1]
          local z = KEYS[2 * i]
          local a = redis.call('HGET', h, 'h:' .. ARGV[1])
          if a then
            redis.call('HINCRBY', h, 'held', '-' .. a)
            redis.call('HDEL', h, 'h:' .. ARGV[1])
            redis.call('ZREM', z, ARGV[1])
          end
          if ARGV[2] ~= '0' then
            redis.call('HINCRBY', h, 'spent', ARGV[2])
          end
          redis.call('EXPIRE', h, ARGV[2 + i])
          result[2 * i - 1] = tonumber(redis.call('HGET', h, 'spent') or '0')
          result[2 * i] = tonumber(redis.call('HGET', h, 'held') or '0')
        end
        return result
        """;

    /// <summary>
    /// KEYS: the key's minute hash. ARGV: request limit, token limit (<c>-1</c> for none), lifetime (s). Counts the
    /// request when both limits admit it. Returns {1 or 0, refusing limit (1 requests, 2 tokens), requests, tokens}.
    /// </summary>
    public const string Admit = """
        local r = tonumber(redis.call('HGET', KEYS[1], 'r') or '0')
        local t = tonumber(redis.call('HGET', KEYS[1], 't') or '0')
        local rpm = tonumber(ARGV[1])
        local tpm = tonumber(ARGV[2])
        if rpm >= 0 and r >= rpm then
          return {0, 1, r, t}
        end
        if tpm >= 0 and t >= tpm then
          return {0, 2, r, t}
        end
        r = redis.call('HINCRBY', KEYS[1], 'r', 1)
        redis.call('EXPIRE', KEYS[1], ARGV[3])
        return {1, 0, r, t}
        """;
}
