using SkFallback.Events;

namespace SkFallback.Cli.Events;

/// <summary>
/// The fallback-event log on disk, read through the library's own format types (<see cref="FallbackEventFiles"/>,
/// <see cref="FallbackEventJson"/>; see <c>docs/fallback-events.md</c>): every file of a prefix in a directory, in the
/// order written. Lines that do not parse (one cut by a crash, one being written) are skipped and counted.
/// </summary>
internal sealed class EventLog(string directory, string prefix)
{
    /// <summary>Gets the directory.</summary>
    public string Directory => directory;

    /// <summary>Gets the file prefix.</summary>
    public string Prefix => prefix;

    /// <summary>The log's files, oldest first; a usage error when there is none.</summary>
    public IReadOnlyList<string> Files()
    {
        var files = FallbackEventFiles.List(directory, prefix);
        return files.Count > 0 ? files : throw new CliUsageException($"no event files '{prefix}-*.jsonl' in '{directory}' (SkFallback:Events:Directory and FilePrefix)");
    }

    /// <summary>Every event, in the order written.</summary>
    public (List<FallbackEvent> Events, int Malformed) ReadAll()
    {
        var events = new List<FallbackEvent>();
        var malformed = 0;
        foreach (var file in Files())
        {
            events.AddRange(FallbackEventJson.ReadFile(file, out var bad));
            malformed += bad;
        }

        return (events, malformed);
    }
}
