using System.Text.RegularExpressions;

namespace SkFallback.Diagnostics;

/// <summary>
/// Removes credentials from text that leaves the library (attempt details, logs, exception messages, telemetry):
/// the configured API keys themselves, and anything shaped like a key or a bearer token.
/// </summary>
internal sealed partial class SecretRedactor
{
    private const string Mask = "***";
    private const int MaxDetailLength = 300;
    private readonly string[] _secrets;

    public SecretRedactor(IEnumerable<string?> secrets)
    {
        // Longest first, so a key that contains another is masked whole.
        _secrets = secrets.Where(s => !string.IsNullOrEmpty(s) && s.Length >= 4).Distinct().OrderByDescending(s => s!.Length).ToArray()!;
    }

    public string Redact(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        foreach (var secret in _secrets)
        {
            text = text.Replace(secret, Mask, StringComparison.Ordinal);
        }

        text = KeyPattern().Replace(text, Mask);
        return UserInfoPattern().Replace(text, Mask + "@");
    }

    /// <summary>A URL fit to print: user information and the values of credential query parameters masked.</summary>
    public static string RedactUrl(Uri? url) => url is null ? string.Empty : RedactUrl(url.OriginalString);

    /// <summary>A URL (or text holding URLs) fit to print: user information and credential query parameters masked.</summary>
    public static string RedactUrl(string text) =>
        UserInfoPattern().Replace(QueryKeyPattern().Replace(text, Mask), Mask + "@");

    /// <summary>Whether an exception's text (message, inner exceptions, stack, <see cref="Exception.Data"/>) carries anything <see cref="Redact"/> would mask.</summary>
    public bool Carries(Exception exception)
    {
        var text = exception.ToString();
        if (!string.Equals(Redact(text), text, StringComparison.Ordinal))
        {
            return true;
        }

        for (var current = exception; current is not null; current = current.InnerException)
        {
            foreach (System.Collections.DictionaryEntry entry in current.Data)
            {
                var value = $"{entry.Key}={entry.Value}";
                if (!string.Equals(Redact(value), value, StringComparison.Ordinal))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// The provider's exception as one whose text (message, inner exceptions) has every credential masked, keeping
    /// its type name and stack trace; nothing of its <see cref="Exception.Data"/> is carried over.
    /// </summary>
    public ProviderException Wrap(Exception exception, string? provider, FailureKind kind, int? statusCode, int depth = 0)
    {
        var inner = exception.InnerException is { } cause && depth < 8 ? Wrap(cause, provider, kind, statusCode, depth + 1) : null;
        var type = exception.GetType();
        var message = $"{type.Name}: {Redact(exception.Message)}";
        return new ProviderException(message, inner, type.FullName ?? type.Name, provider, kind, statusCode, Redact(exception.StackTrace));
    }

    /// <summary>A one-line, secret-free description of an exception: its type and the start of its message.</summary>
    public string Describe(Exception exception)
    {
        // Redact before cutting: a key that straddles the cut would no longer match whole.
        var message = Redact(exception.Message).ReplaceLineEndings(" ");
        if (message.Length > MaxDetailLength)
        {
            message = string.Concat(message.AsSpan(0, MaxDetailLength), "…");
        }

        return $"{exception.GetType().Name}: {message}";
    }

    // Query parameters that carry credentials: ?key=, &api_key=, api-key, access_token, ...
    private const string QueryKeys = @"(?<=[?&;](?:key|api[_\-]?key|access[_\-]?token|refresh[_\-]?token|id[_\-]?token|token|auth|authorization|secret|client[_\-]?secret|password|pwd|sig|signature|x-api-key|code)=)[^&#\s'""]+";

    [GeneratedRegex(QueryKeys, RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex QueryKeyPattern();

    // user:password@ (or a lone token@) right after a scheme.
    [GeneratedRegex(@"(?<=[A-Za-z][A-Za-z0-9+.\-]*://)[^/\s@'""?#]+@", RegexOptions.CultureInvariant)]
    private static partial Regex UserInfoPattern();

    [GeneratedRegex(@"((?i:" + QueryKeys + ")|" + @"sk-[A-Za-z0-9_\-]{8,}|(?<=[Bb]earer\s)[A-Za-z0-9._\-]{8,}|(?<=x-api-key[""':=\s]{1,4})[A-Za-z0-9._\-]{8,}|AIza[0-9A-Za-z_\-]{20,})", RegexOptions.CultureInvariant)]
    private static partial Regex KeyPattern();
}
