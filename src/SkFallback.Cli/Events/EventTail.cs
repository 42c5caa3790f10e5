using System.Text;
using System.Text.Json;
using SkFallback.Events;

namespace SkFallback.Cli.Events;

/// <summary>
/// Reads what the log gains: new complete lines of the file being written and, when the writer rotates, the rest of
/// that file and then the next one. A line without its <c>\n</c> yet is left for the next read (the writer is
/// mid-line); a complete line that does not parse is skipped and counted.
/// </summary>
internal sealed class EventTail(string directory, string prefix)
{
    private string? _file;
    private long _offset;
    private readonly List<byte> _partial = [];

    /// <summary>Gets the lines skipped as malformed so far.</summary>
    public int Malformed { get; private set; }

    /// <summary>Starts at the end of the newest file, keeping its last <paramref name="last"/> events to print first.</summary>
    public List<FallbackEvent> Start(int last)
    {
        var files = FallbackEventFiles.List(directory, prefix);
        if (files.Count == 0)
        {
            return [];
        }

        var events = new List<FallbackEvent>();
        for (var i = files.Count - 1; i >= 0 && events.Count < last; i--)
        {
            events.InsertRange(0, FallbackEventJson.ReadFile(files[i], out _));
        }

        _file = files[^1];
        _offset = CompleteLength(_file);
        return events.Count > last ? events.GetRange(events.Count - last, last) : events;
    }

    /// <summary>The events written since the last read, in order.</summary>
    public List<FallbackEvent> ReadNew()
    {
        var events = new List<FallbackEvent>();
        var files = FallbackEventFiles.List(directory, prefix);
        if (_file is null)
        {
            if (files.Count == 0)
            {
                return events;
            }

            _file = files[0];
        }

        while (true)
        {
            ReadFrom(_file, events);
            var next = files.SkipWhile(f => f != _file).Skip(1).FirstOrDefault();
            if (next is null)
            {
                return events;
            }

            // Rotated: the old file is complete; a line it left without a newline will not be finished.
            _partial.Clear();
            (_file, _offset) = (next, 0);
        }
    }

    private void ReadFrom(string file, List<FallbackEvent> events)
    {
        if (!File.Exists(file))
        {
            return;
        }

        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (stream.Length < _offset)
        {
            _offset = 0;  // truncated or replaced: read it anew
            _partial.Clear();
        }

        stream.Seek(_offset, SeekOrigin.Begin);
        var buffer = new byte[8192];
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            _offset += read;
            for (var i = 0; i < read; i++)
            {
                if (buffer[i] != (byte)'\n')
                {
                    _partial.Add(buffer[i]);
                    continue;
                }

                Parse(Encoding.UTF8.GetString([.. _partial]), events);
                _partial.Clear();
            }
        }
    }

    private void Parse(string line, List<FallbackEvent> events)
    {
        try
        {
            if (FallbackEventJson.Parse(line) is { } parsed)
            {
                events.Add(parsed);
            }
        }
        catch (JsonException)
        {
            Malformed++;
        }
    }

    /// <summary>The length of the file up to and including its last <c>\n</c>.</summary>
    private static long CompleteLength(string file)
    {
        var bytes = File.ReadAllBytes(file);
        var last = Array.LastIndexOf(bytes, (byte)'\n');
        return last + 1;
    }
}
