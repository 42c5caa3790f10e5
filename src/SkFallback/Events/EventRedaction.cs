using SkFallback.Diagnostics;

namespace SkFallback.Events;

/// <summary>Applies <see cref="EventTextRedactor"/> to every text of an event (messages, parts, answer, attempts, error, labels), counting what it replaced.</summary>
internal sealed class EventRedaction(EventTextRedactor text, SecretRedactor? extraSecrets, int maxLength)
{
    public FallbackEvent Apply(PendingEvent pending)
    {
        var raw = pending.Raw;
        var secrets = pending.Secrets;
        var count = 0;
        var request = new FallbackEventMessage[raw.Request.Count];
        for (var i = 0; i < request.Length; i++)
        {
            var message = raw.Request[i];
            request[i] = message with { Text = Redact(message.Text, secrets, ref count), Parts = Parts(message.Parts, secrets, ref count) };
        }

        var attempts = new FallbackEventAttempt[raw.Attempts.Count];
        for (var i = 0; i < attempts.Length; i++)
        {
            var attempt = raw.Attempts[i];
            attempts[i] = attempt with
            {
                Detail = Redact(attempt.Detail, secrets, ref count),
                PartialOutput = Redact(attempt.PartialOutput, secrets, ref count),
            };
        }

        Dictionary<string, string>? labels = null;
        if (raw.Labels is { Count: > 0 })
        {
            labels = new(raw.Labels.Count, StringComparer.Ordinal);
            foreach (var (name, value) in raw.Labels)
            {
                labels[name] = Redact(value, secrets, ref count) ?? string.Empty;
            }
        }

        var response = raw.Response is { } answer
            ? answer with { Text = Redact(answer.Text, secrets, ref count), Parts = Parts(answer.Parts, secrets, ref count) }
            : null;
        var error = raw.Error is { } failed ? failed with { Message = Redact(failed.Message, secrets, ref count) } : null;
        return raw with
        {
            Request = request,
            Attempts = attempts,
            Labels = labels,
            Response = response,
            Error = error,
            Tenant = Redact(raw.Tenant, secrets, ref count),
            Redactions = count,
        };
    }

    private FallbackEventPart[]? Parts(IReadOnlyList<FallbackEventPart>? parts, SecretRedactor secrets, ref int count)
    {
        if (parts is null)
        {
            return null;
        }

        var redacted = new FallbackEventPart[parts.Count];
        for (var i = 0; i < redacted.Length; i++)
        {
            redacted[i] = parts[i] with { Text = Redact(parts[i].Text, secrets, ref count) };
        }

        return redacted;
    }

    private string? Redact(string? value, SecretRedactor secrets, ref int count) =>
        text.Redact(value, secrets, extraSecrets, maxLength, ref count);
}
