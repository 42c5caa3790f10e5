namespace SkFallback.Events;

/// <summary>
/// The default sink: JSONL files in one directory (<see cref="FallbackEventFiles"/> names them). Before a batch, a file
/// that holds <see cref="FallbackEventOptions.MaxFileBytes"/> or more is closed and the next opened; after each
/// rotation (and at the first write) files beyond <see cref="FallbackEventOptions.RetainFiles"/>, and files closed more
/// than <see cref="FallbackEventOptions.RetainDays"/> ago, are deleted. Written by one writer at a time.
/// </summary>
public sealed class FallbackEventFileSink : IFallbackEventSink, IDisposable
{
    private readonly string _directory;
    private readonly string _prefix;
    private readonly long _maxFileBytes;
    private readonly int _retainFiles;
    private readonly TimeSpan? _retainFor;
    private readonly TimeProvider _time;
    private FileStream? _file;
    private long _nextSequence = -1;

    /// <summary>Initializes a new instance of the <see cref="FallbackEventFileSink"/> class.</summary>
    /// <param name="options">The directory, prefix, size limit and retention (validated options).</param>
    /// <param name="timeProvider">The clock for file names and retention; <see cref="TimeProvider.System"/> by default.</param>
    public FallbackEventFileSink(FallbackEventOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _directory = Path.GetFullPath(options.Directory);
        _prefix = options.FilePrefix;
        _maxFileBytes = options.MaxFileBytes;
        _retainFiles = options.RetainFiles;
        _retainFor = options.RetainDays > 0 ? TimeSpan.FromDays(options.RetainDays) : null;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Gets the path of the file being written, once one is open.</summary>
    public string? CurrentPath => _file?.Name;

    /// <inheritdoc />
    public async ValueTask WriteAsync(IReadOnlyList<FallbackEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (_file is null || _file.Length >= _maxFileBytes)
        {
            Rotate();
        }

        var file = _file!;
        foreach (var fallbackEvent in events)
        {
            FallbackEventJson.WriteLine(fallbackEvent, file);
        }

        await file.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Closes the file being written.</summary>
    public void Dispose()
    {
        _file?.Dispose();
        _file = null;
    }

    /// <summary>Deletes what retention no longer keeps (the file being written is always kept).</summary>
    internal void ApplyRetention()
    {
        var files = FallbackEventFiles.List(_directory, _prefix);
        var now = _time.GetUtcNow();
        var current = _file?.Name;
        for (var i = 0; i < files.Count; i++)
        {
            var path = files[i];
            if (string.Equals(path, current, StringComparison.Ordinal))
            {
                continue;
            }

            // A file is closed when the next one opens.
            var tooMany = files.Count - i > _retainFiles;
            var tooOld = _retainFor is { } keep && i + 1 < files.Count
                && FallbackEventFiles.TryParse(_prefix, files[i + 1], out var closedAt, out _) && now - closedAt > keep;
            if (tooMany || tooOld)
            {
                TryDelete(path);
            }
        }
    }

    private void Rotate()
    {
        _file?.Dispose();
        _file = null;
        Directory.CreateDirectory(_directory);
        if (_nextSequence < 0)
        {
            _nextSequence = 1;
            foreach (var path in FallbackEventFiles.List(_directory, _prefix))
            {
                if (FallbackEventFiles.TryParse(_prefix, path, out _, out var sequence) && sequence >= _nextSequence)
                {
                    _nextSequence = sequence + 1;
                }
            }
        }

        // Another writer on the same prefix may have taken the number: the next free one is used.
        for (var tries = 0; _file is null; tries++)
        {
            var path = Path.Combine(_directory, FallbackEventFiles.Name(_prefix, _time.GetUtcNow(), _nextSequence++));
            try
            {
                _file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read | FileShare.Delete, 64 * 1024, useAsync: false);
            }
            catch (IOException) when (tries < 100 && File.Exists(path))
            {
            }
        }

        ApplyRetention();
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // A reader holding it open without delete sharing: the next rotation tries again.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
