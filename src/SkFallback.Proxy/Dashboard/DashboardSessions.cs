using System.Collections.Concurrent;
using System.Security.Cryptography;
using SkFallback.Proxy.Keys;

namespace SkFallback.Proxy.Dashboard;

/// <summary>
/// Signing in to the dashboard: the admin key is held only as a SHA-256 digest and compared in constant time; a
/// signed-in browser holds a random session token (an HttpOnly, SameSite=Strict cookie), never the key.
/// </summary>
internal sealed class DashboardSessions
{
    /// <summary>The cookie's name.</summary>
    public const string CookieName = "skfallback_dashboard";

    /// <summary>How long a session lasts.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(12);

    private const int MaxSessions = 1024;
    private readonly byte[] _adminDigest;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, DateTimeOffset> _sessions = new(StringComparer.Ordinal);

    /// <summary>Initializes a new instance of the <see cref="DashboardSessions"/> class.</summary>
    /// <param name="adminDigest">The admin key's SHA-256 digest.</param>
    /// <param name="time">The clock sessions expire by.</param>
    public DashboardSessions(byte[] adminDigest, TimeProvider time)
    {
        _adminDigest = adminDigest;
        _time = time;
    }

    /// <summary>Starts a session when <paramref name="presented"/> is the admin key.</summary>
    /// <param name="presented">The key typed in.</param>
    /// <param name="token">The new session's token.</param>
    /// <returns>Whether the key was right.</returns>
    public bool TrySignIn(string? presented, out string token)
    {
        token = string.Empty;
        var digest = GatewayKeyHash.Digest(presented ?? string.Empty);
        if (!CryptographicOperations.FixedTimeEquals(digest, _adminDigest))
        {
            return false;
        }

        var now = _time.GetUtcNow();
        if (_sessions.Count >= MaxSessions)
        {
            foreach (var (old, expires) in _sessions)
            {
                if (expires <= now)
                {
                    _sessions.TryRemove(old, out _);
                }
            }
        }

        if (_sessions.Count >= MaxSessions && _sessions.MinBy(s => s.Value) is { Key: { } oldest })
        {
            _sessions.TryRemove(oldest, out _);
        }

        token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        _sessions[token] = now + Lifetime;
        return true;
    }

    /// <summary>Whether <paramref name="token"/> is a live session.</summary>
    /// <param name="token">The cookie's value.</param>
    /// <returns>Whether it is signed in.</returns>
    public bool IsSignedIn(string? token)
    {
        if (string.IsNullOrEmpty(token) || !_sessions.TryGetValue(token, out var expires))
        {
            return false;
        }

        if (expires > _time.GetUtcNow())
        {
            return true;
        }

        _sessions.TryRemove(token, out _);
        return false;
    }

    /// <summary>Ends a session.</summary>
    /// <param name="token">The cookie's value.</param>
    public void SignOut(string? token)
    {
        if (token is not null)
        {
            _sessions.TryRemove(token, out _);
        }
    }
}
