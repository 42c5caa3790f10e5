using System.Text.RegularExpressions;
using Microsoft.Extensions.Compliance.Redaction;
using SkFallback.Diagnostics;

namespace SkFallback.Events;

/// <summary>
/// Redacts one text of an event: credentials always (through the chain's <see cref="SecretRedactor"/>: its configured
/// keys and key-shaped tokens), then, as configured, e-mail addresses, card numbers (13–19 digits that pass the Luhn
/// check) and phone numbers (7–15 digits, written with a leading <c>+</c> or with separators), then custom redactors.
/// </summary>
internal sealed partial class EventTextRedactor
{
    private const string SecretMask = "***";

    private readonly Redactor? _email;
    private readonly Redactor? _phone;
    private readonly Redactor? _card;
    private readonly Redactor? _secret;
    private readonly IFallbackEventRedactor[] _custom;

    public EventTextRedactor(FallbackEventOptions options, IRedactorProvider? provider, IEnumerable<IFallbackEventRedactor>? custom)
    {
        _email = options.RedactEmails ? provider?.GetRedactor(FallbackEventData.Email) ?? new MaskRedactor("[email]") : null;
        _phone = options.RedactPhones ? provider?.GetRedactor(FallbackEventData.Phone) ?? new MaskRedactor("[phone]") : null;
        _card = options.RedactCards ? provider?.GetRedactor(FallbackEventData.CardNumber) ?? new MaskRedactor("[card]") : null;
        _secret = provider?.GetRedactor(FallbackEventData.Secret);
        _custom = custom?.ToArray() ?? [];
    }

    /// <summary>Redacts <paramref name="text"/> (the chain's keys, <paramref name="extraSecrets"/> such as the gateway's), cut at <paramref name="maxLength"/> characters, adding what it replaced to <paramref name="count"/>.</summary>
    public string? Redact(string? text, SecretRedactor secrets, SecretRedactor? extraSecrets, int maxLength, ref int count)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text;
        }

        // Credentials first, on the whole text: a key cut at the length limit would no longer match whole.
        var masked = secrets.Redact(extraSecrets is null ? text : extraSecrets.Redact(text));
        if (!ReferenceEquals(masked, text) && !string.Equals(masked, text, StringComparison.Ordinal))
        {
            var added = Occurrences(masked, SecretMask) - Occurrences(text, SecretMask);
            count += Math.Max(1, added);
            text = _secret is null ? masked : masked.Replace(SecretMask, _secret.Redact(SecretMask), StringComparison.Ordinal);
        }

        var local = 0;
        if (_email is not null)
        {
            text = EmailPattern().Replace(text, m => Replace(_email, m.Value, ref local));
        }

        if (_card is not null)
        {
            text = CardPattern().Replace(text, m => PassesLuhn(m.Value) ? Replace(_card, m.Value, ref local) : m.Value);
        }

        if (_phone is not null)
        {
            text = PhonePattern().Replace(text, m => IsPhone(m.Value) ? Replace(_phone, m.Value, ref local) : m.Value);
        }

        foreach (var redactor in _custom)
        {
            text = redactor.Redact(text, out var replaced);
            local += replaced;
        }

        count += local;
        return text.Length <= maxLength ? text : string.Concat(text.AsSpan(0, maxLength), $"…[cut {text.Length - maxLength} chars]");
    }

    private static string Replace(Redactor redactor, string value, ref int count)
    {
        count++;
        return redactor.Redact(value);
    }

    private static int Occurrences(string text, string value)
    {
        var n = 0;
        for (var i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + value.Length, StringComparison.Ordinal))
        {
            n++;
        }

        return n;
    }

    /// <summary>The Luhn check of a card number's digits (separators skipped): 13 to 19 digits, the check digit right.</summary>
    internal static bool PassesLuhn(string candidate)
    {
        var sum = 0;
        var digits = 0;
        for (var i = candidate.Length - 1; i >= 0; i--)
        {
            var c = candidate[i];
            if (!char.IsAsciiDigit(c))
            {
                continue;
            }

            var d = c - '0';
            if (digits % 2 == 1)
            {
                d *= 2;
                d = d > 9 ? d - 9 : d;
            }

            sum += d;
            digits++;
        }

        return digits is >= 13 and <= 19 && sum % 10 == 0;
    }

    /// <summary>Whether a digit run is a phone number: 7–15 digits; not a date, a time or a dotted address.</summary>
    internal static bool IsPhone(string candidate)
    {
        var digits = 0;
        var separators = 0;
        foreach (var c in candidate)
        {
            if (char.IsAsciiDigit(c))
            {
                digits++;
            }
            else if (c is ' ' or '-' or '.' or '(' or ')')
            {
                separators++;
            }
        }

        if (digits is < 7 or > 15)
        {
            return false;
        }

        if (candidate[0] == '+' || candidate.Contains('(', StringComparison.Ordinal))
        {
            return true;
        }

        return separators > 0 && !DatePattern().IsMatch(candidate) && !DottedPattern().IsMatch(candidate);
    }

    [GeneratedRegex(@"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}", RegexOptions.CultureInvariant)]
    private static partial Regex EmailPattern();

    // 13–19 digits, single spaces or hyphens between groups.
    [GeneratedRegex(@"(?<![\w.])\d(?:[ \-]?\d){12,18}(?![\w])", RegexOptions.CultureInvariant)]
    private static partial Regex CardPattern();

    // An optional +country code, an optional (area), then digit groups joined by space, hyphen or dot.
    [GeneratedRegex(@"(?<![\w+.])(?:\+\d{1,3}[ \-.]?)?(?:\(\d{1,5}\)[ \-.]?)?\d{2,8}(?:[ \-.]\d{2,8}){0,4}(?![\w])", RegexOptions.CultureInvariant)]
    private static partial Regex PhonePattern();

    [GeneratedRegex(@"^\d{4}[\-./]\d{1,2}[\-./]\d{1,2}$|^\d{1,2}[\-./]\d{1,2}[\-./]\d{2,4}$", RegexOptions.CultureInvariant)]
    private static partial Regex DatePattern();

    [GeneratedRegex(@"^\d{1,3}(?:\.\d{1,3}){2,}$", RegexOptions.CultureInvariant)]
    private static partial Regex DottedPattern();
}
