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

        return KeyPattern().Replace(text, Mask);
    }

    /// <summary>A one-line, secret-free description of an exception: its type and the start of its message.</summary>
    public string Describe(Exception exception)
    {
        var message = exception.Message.ReplaceLineEndings(" ");
        if (message.Length > MaxDetailLength)
        {
            message = string.Concat(message.AsSpan(0, MaxDetailLength), "…");
        }

        return $"{exception.GetType().Name}: {Redact(message)}";
    }

    [GeneratedRegex(@"(sk-[A-Za-z0-9_\-]{8,}|(?<=[Bb]earer\s)[A-Za-z0-9._\-]{8,}|(?<=x-api-key[""':=\s]{1,4})[A-Za-z0-9._\-]{8,}|AIza[0-9A-Za-z_\-]{20,})", RegexOptions.CultureInvariant)]
    private static partial Regex KeyPattern();
}
