namespace SkFallback.Events;

/// <summary>
/// A custom redaction of event text, run after the built-in ones (keys, e-mail addresses, phone and card numbers) on
/// every text of an event, on the log's background writer.
/// </summary>
public interface IFallbackEventRedactor
{
    /// <summary>Redacts one text.</summary>
    /// <param name="text">The text, already redacted by the built-in redactions.</param>
    /// <param name="redactions">How many spans were replaced.</param>
    /// <returns>The redacted text (the same instance when nothing was replaced).</returns>
    string Redact(string text, out int redactions);
}
