using System.Text;
using System.Text.Json;

namespace SkFallback.Events;

/// <summary>
/// The JSONL format of fallback events: one <see cref="FallbackEvent"/> per line, UTF-8, snake_case field names, null
/// fields left out. Writers append <c>\n</c> after each object; readers skip blank lines and ignore unknown fields.
/// </summary>
public static class FallbackEventJson
{
    /// <summary>The extension of event files (<c>.jsonl</c>).</summary>
    public const string FileExtension = ".jsonl";

    /// <summary>The event as one line of JSON (without the line break).</summary>
    /// <param name="fallbackEvent">The event.</param>
    /// <returns>The JSON text.</returns>
    public static string Serialize(FallbackEvent fallbackEvent) =>
        JsonSerializer.Serialize(fallbackEvent, FallbackEventJsonContext.Default.FallbackEvent);

    /// <summary>Writes the event as one line of JSON followed by <c>\n</c>.</summary>
    /// <param name="fallbackEvent">The event.</param>
    /// <param name="destination">Where the UTF-8 bytes go.</param>
    public static void WriteLine(FallbackEvent fallbackEvent, Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        using (var writer = new Utf8JsonWriter(destination, new JsonWriterOptions { Indented = false, SkipValidation = true }))
        {
            JsonSerializer.Serialize(writer, fallbackEvent, FallbackEventJsonContext.Default.FallbackEvent);
        }

        destination.WriteByte((byte)'\n');
    }

    /// <summary>Reads one line of an event file.</summary>
    /// <param name="line">The line.</param>
    /// <returns>The event, or <see langword="null"/> for a blank line.</returns>
    /// <exception cref="JsonException">The line is not an event.</exception>
    public static FallbackEvent? Parse(string line)
    {
        if (string.IsNullOrWhiteSpace(line))
        {
            return null;
        }

        return JsonSerializer.Deserialize(line, FallbackEventJsonContext.Default.FallbackEvent)
            ?? throw new JsonException("The line holds JSON null, not an event.");
    }

    /// <summary>Reads every event of an event file, in order, skipping blank lines; a line that is not an event (a line cut by a crash) is skipped and counted.</summary>
    /// <param name="path">The file.</param>
    /// <param name="malformed">How many lines could not be read.</param>
    /// <returns>The events.</returns>
    public static IReadOnlyList<FallbackEvent> ReadFile(string path, out int malformed)
    {
        var events = new List<FallbackEvent>();
        malformed = 0;
        foreach (var line in File.ReadLines(path, Encoding.UTF8))
        {
            try
            {
                if (Parse(line) is { } parsed)
                {
                    events.Add(parsed);
                }
            }
            catch (JsonException)
            {
                malformed++;
            }
        }

        return events;
    }
}
