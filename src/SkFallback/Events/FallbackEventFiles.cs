using System.Globalization;

namespace SkFallback.Events;

/// <summary>
/// How event files are named and found: <c>{prefix}-{yyyyMMdd}T{HHmmss}Z-{sequence:D6}.jsonl</c>, the UTC time the file was
/// opened and a sequence number that grows by one with each file the directory gets. Names sort in the order the
/// files were written; the last is the one being written (<c>events tail</c> follows it).
/// </summary>
public static class FallbackEventFiles
{
    /// <summary>The default file name prefix (<see cref="FallbackEventOptions.FilePrefix"/>).</summary>
    public const string DefaultPrefix = "fallback-events";

    private const string TimeFormat = "yyyyMMdd'T'HHmmss'Z'";

    /// <summary>The name of a file opened at <paramref name="openedAt"/> with sequence number <paramref name="sequence"/>.</summary>
    /// <param name="prefix">The prefix.</param>
    /// <param name="openedAt">When it is opened.</param>
    /// <param name="sequence">Its sequence number.</param>
    /// <returns>The file name (no directory).</returns>
    public static string Name(string prefix, DateTimeOffset openedAt, long sequence) =>
        string.Create(CultureInfo.InvariantCulture, $"{prefix}-{openedAt.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture)}-{sequence:D6}{FallbackEventJson.FileExtension}");

    /// <summary>Reads a file name written by <see cref="Name"/>.</summary>
    /// <param name="prefix">The prefix.</param>
    /// <param name="fileName">The name (a path is allowed; only its file name is read).</param>
    /// <param name="openedAt">When the file was opened.</param>
    /// <param name="sequence">Its sequence number.</param>
    /// <returns>Whether the name is an event file's of this prefix.</returns>
    public static bool TryParse(string prefix, string fileName, out DateTimeOffset openedAt, out long sequence)
    {
        openedAt = default;
        sequence = 0;
        var name = Path.GetFileName(fileName);
        var stampLength = TimeFormat.Length - 4;  // the two quoted letters are written without quotes
        if (!name.StartsWith(prefix + "-", StringComparison.Ordinal) || !name.EndsWith(FallbackEventJson.FileExtension, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = name.AsSpan(prefix.Length + 1, name.Length - prefix.Length - 1 - FallbackEventJson.FileExtension.Length);
        if (rest.Length != stampLength + 7 || rest[stampLength] != '-')
        {
            return false;
        }

        if (!DateTimeOffset.TryParseExact(rest[..stampLength], TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out openedAt))
        {
            return false;
        }

        return long.TryParse(rest[(stampLength + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out sequence);
    }

    /// <summary>The event files of <paramref name="directory"/>, oldest first (the last is the one being written).</summary>
    /// <param name="directory">The directory.</param>
    /// <param name="prefix">The prefix.</param>
    /// <returns>Full paths, in order.</returns>
    public static IReadOnlyList<string> List(string directory, string prefix = DefaultPrefix)
    {
        if (!Directory.Exists(directory))
        {
            return [];
        }

        var files = new List<(string Path, long Sequence, DateTimeOffset OpenedAt)>();
        foreach (var path in Directory.EnumerateFiles(directory, prefix + "-*" + FallbackEventJson.FileExtension))
        {
            if (TryParse(prefix, path, out var openedAt, out var sequence))
            {
                files.Add((path, sequence, openedAt));
            }
        }

        files.Sort((a, b) => a.Sequence != b.Sequence ? a.Sequence.CompareTo(b.Sequence) : a.OpenedAt.CompareTo(b.OpenedAt));
        return files.ConvertAll(f => f.Path);
    }
}
