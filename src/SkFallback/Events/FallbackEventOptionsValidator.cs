using System.Globalization;

namespace SkFallback.Events;

/// <summary>Checks <see cref="FallbackEventOptions"/> as part of <see cref="FallbackOptionsValidator"/>; each message names its key and the allowed range.</summary>
internal static class FallbackEventOptionsValidator
{
    public static void Validate(List<string> errors, string key, FallbackEventOptions events)
    {
        Rate(errors, $"{key}:SampleRate", events.SampleRate);
        Rate(errors, $"{key}:FallbackSampleRate", events.FallbackSampleRate);
        foreach (var (tenant, rates) in events.Tenants)
        {
            if (rates is null)
            {
                continue;
            }

            if (rates.SampleRate is double rate)
            {
                Rate(errors, $"{key}:Tenants:{tenant}:SampleRate", rate);
            }

            if (rates.FallbackSampleRate is double fallbackRate)
            {
                Rate(errors, $"{key}:Tenants:{tenant}:FallbackSampleRate", fallbackRate);
            }
        }

        if (!Enum.IsDefined(events.Sink))
        {
            errors.Add($"{key}:Sink must be one of {string.Join(", ", Enum.GetNames<FallbackEventSinkKind>())} (was {events.Sink}).");
        }

        if (string.IsNullOrWhiteSpace(events.Directory))
        {
            errors.Add($"{key}:Directory must name a directory (was empty).");
        }

        if (string.IsNullOrEmpty(events.FilePrefix) || !events.FilePrefix.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
        {
            errors.Add($"{key}:FilePrefix must be letters, digits, '.', '_' or '-' (was '{events.FilePrefix}').");
        }

        Range(errors, $"{key}:MaxFileBytes", events.MaxFileBytes, 1024, 4L * 1024 * 1024 * 1024);
        Range(errors, $"{key}:RetainFiles", events.RetainFiles, 1, 100_000);
        Range(errors, $"{key}:RetainDays", events.RetainDays, 0, 3650);
        Range(errors, $"{key}:QueueCapacity", events.QueueCapacity, 1, 1_000_000);
        Range(errors, $"{key}:MaxTextLength", events.MaxTextLength, 256, 16 * 1024 * 1024);
    }

    private static void Rate(List<string> errors, string key, double value)
    {
        if (double.IsNaN(value) || value < 0 || value > 1)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"{key} must be between 0 and 1 (was {value})."));
        }
    }

    private static void Range(List<string> errors, string key, long value, long min, long max)
    {
        if (value < min || value > max)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"{key} must be between {min} and {max} (was {value})."));
        }
    }
}
