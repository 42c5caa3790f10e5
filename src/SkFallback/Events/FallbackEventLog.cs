using System.Threading.Channels;
using Microsoft.Extensions.Compliance.Redaction;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SkFallback.Diagnostics;

namespace SkFallback.Events;

/// <summary>
/// The fallback-event log: calls hand their sampled events to a bounded queue and return; one background writer
/// redacts them and writes them to the sink. A full queue drops the new event and counts it (<see cref="Dropped"/>,
/// the <c>skfallback.events.dropped</c> counter): the log never blocks or fails a call. One log may serve many chains
/// (the gateway shares one across its virtual models).
/// </summary>
public sealed partial class FallbackEventLog : IAsyncDisposable, IDisposable
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    private readonly Channel<PendingEvent> _queue;
    private readonly IFallbackEventSink _sink;
    private readonly bool _ownsSink;
    private readonly EventRedaction _redaction;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _writer;
    private TaskCompletionSource _progress = NewProgress();
    private long _accepted;
    private long _processed;
    private long _dropped;
    private long _written;
    private long _lost;
    private int _disposed;

    /// <summary>Initializes a new instance of the <see cref="FallbackEventLog"/> class and starts its writer.</summary>
    /// <param name="options">The log's options (validated with the chain's, or here).</param>
    /// <param name="sink">Where events go; by default the one <see cref="FallbackEventOptions.Sink"/> names.</param>
    /// <param name="loggerFactory">For the <see cref="FallbackEventSinkKind.Logger"/> sink and the writer's own errors.</param>
    /// <param name="timeProvider">The clock of event times, file names and retention.</param>
    /// <param name="redactorProvider">Redactors by data classification (<see cref="FallbackEventData"/>); masks such as <c>[email]</c> by default.</param>
    /// <param name="redactors">Custom redactions, run after the built-in ones.</param>
    /// <param name="secrets">Credentials to mask beyond each chain's provider keys (the gateway's).</param>
    /// <exception cref="ArgumentException">The options are invalid (the message names the key), or <see cref="FallbackEventSinkKind.Custom"/> without a sink.</exception>
    public FallbackEventLog(
        FallbackEventOptions options,
        IFallbackEventSink? sink = null,
        ILoggerFactory? loggerFactory = null,
        TimeProvider? timeProvider = null,
        IRedactorProvider? redactorProvider = null,
        IEnumerable<IFallbackEventRedactor>? redactors = null,
        IEnumerable<string>? secrets = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        FallbackEventOptionsValidator.Validate(errors, $"{FallbackOptions.SectionName}:Events", options);
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", errors), nameof(options));
        }

        Time = timeProvider ?? TimeProvider.System;
        loggerFactory ??= NullLoggerFactory.Instance;
        _logger = loggerFactory.CreateLogger<FallbackEventLog>();
        Sampler = new FallbackEventSampler(options);
        var extra = secrets?.ToArray();
        _redaction = new EventRedaction(new EventTextRedactor(options, redactorProvider, redactors), extra is { Length: > 0 } ? new SecretRedactor(extra) : null, options.MaxTextLength);
        (_sink, _ownsSink) = sink is not null ? (sink, false) : (CreateSink(options, loggerFactory, Time), true);
        _queue = Channel.CreateBounded<PendingEvent>(
            new BoundedChannelOptions(options.QueueCapacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true, SingleWriter = false },
            OnDropped);
        MaxTextLength = options.MaxTextLength;
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>Gets how many events a full queue dropped.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Gets how many events reached the sink.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Gets how many events were lost because the sink threw (each failure is logged).</summary>
    public long Lost => Interlocked.Read(ref _lost);

    /// <summary>Gets the sink events go to.</summary>
    public IFallbackEventSink Sink => _sink;

    internal FallbackEventSampler Sampler { get; }

    internal TimeProvider Time { get; }

    internal int MaxTextLength { get; }

    /// <summary>Waits until every event queued before the call has been written (or lost).</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A task that completes when they are.</returns>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        var target = Interlocked.Read(ref _accepted);
        while (true)
        {
            // The signal is read before the count: the writer counts a batch before it replaces (and sets) the signal.
            var progress = Volatile.Read(ref _progress);
            if (Interlocked.Read(ref _processed) >= target || _writer.IsCompleted)
            {
                return;
            }

            await progress.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Stops taking events, writes what is queued (for up to 5 s) and closes a sink the log made.</summary>
    /// <returns>A task that completes when the writer stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _queue.Writer.TryComplete();
        try
        {
            await _writer.WaitAsync(DrainTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
        }

        Close();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _queue.Writer.TryComplete();
        if (!_writer.Wait(DrainTimeout))
        {
            _stopping.Cancel();
        }

        Close();
    }

    /// <summary>Queues an event; never blocks (a full queue drops it and counts it).</summary>
    internal void Enqueue(FallbackEvent raw, SecretRedactor secrets)
    {
        var before = Interlocked.Read(ref _dropped);
        if (_queue.Writer.TryWrite(new PendingEvent(raw, secrets)) && Interlocked.Read(ref _dropped) == before)
        {
            Interlocked.Increment(ref _accepted);
        }
    }

    private static IFallbackEventSink CreateSink(FallbackEventOptions options, ILoggerFactory loggerFactory, TimeProvider time) => options.Sink switch
    {
        FallbackEventSinkKind.Logger => new FallbackEventLoggerSink(loggerFactory),
        FallbackEventSinkKind.Custom => throw new ArgumentException(
            $"{FallbackOptions.SectionName}:Events:Sink is Custom, but no {nameof(IFallbackEventSink)} was given or registered.", nameof(options)),
        _ => new FallbackEventFileSink(options, time),
    };

    private static TaskCompletionSource NewProgress() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void OnDropped(PendingEvent dropped)
    {
        Interlocked.Increment(ref _dropped);
        FallbackTelemetry.EventsDropped.Add(1);
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<FallbackEvent>(64);
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_stopping.Token).ConfigureAwait(false))
            {
                batch.Clear();
                while (batch.Count < 64 && reader.TryRead(out var pending))
                {
                    batch.Add(Redact(pending));
                }

                await WriteBatchAsync(batch).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Disposed past the drain timeout: what is still queued is left.
        }
        finally
        {
            Volatile.Read(ref _progress).TrySetResult();
        }
    }

    private FallbackEvent Redact(PendingEvent pending)
    {
        try
        {
            return _redaction.Apply(pending);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A custom redactor that throws: the event is written without its texts rather than unredacted.
            WriterFailed(_logger, ex.GetType().Name, "redaction");
            return pending.Raw with { Request = [], Response = null, Attempts = [], Error = null, Labels = null };
        }
    }

    private async Task WriteBatchAsync(List<FallbackEvent> batch)
    {
        try
        {
            await _sink.WriteAsync(batch, _stopping.Token).ConfigureAwait(false);
            Interlocked.Add(ref _written, batch.Count);
            FallbackTelemetry.EventsWritten.Add(batch.Count);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !_stopping.IsCancellationRequested)
        {
            Interlocked.Add(ref _lost, batch.Count);
            WriterFailed(_logger, ex.GetType().Name, "sink");
        }
        finally
        {
            Interlocked.Add(ref _processed, batch.Count);
            Interlocked.Exchange(ref _progress, NewProgress()).TrySetResult();
        }
    }

    private void Close()
    {
        if (_ownsSink)
        {
            (_sink as IDisposable)?.Dispose();
        }

        _stopping.Dispose();
    }

    [LoggerMessage(EventId = 301, Level = LogLevel.Warning, Message = "The fallback-event log's {Stage} failed with {ExceptionType}; the events of that batch are counted as lost.")]
    private static partial void WriterFailed(ILogger logger, string exceptionType, string stage);
}
