using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace SkFallback.Qdrant;

/// <summary>
/// Removes expired cache entries from Qdrant every <see cref="QdrantCacheOptions.CleanupInterval"/> (the first run one
/// interval after the service is created), timed by the registered <see cref="TimeProvider"/>. Expired entries are never served in between; the
/// cleanup only reclaims space. A failed run is logged and retried at the next interval; the host is never stopped by it.
/// </summary>
public sealed class QdrantCacheCleanupService : BackgroundService
{
    private readonly QdrantSemanticCacheStore _store;
    private readonly TimeSpan _interval;
    private readonly PeriodicTimer? _timer;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Initializes a new instance of the <see cref="QdrantCacheCleanupService"/> class.</summary>
    /// <param name="store">The store to clean.</param>
    /// <param name="options">Its options; <see cref="QdrantCacheOptions.CleanupInterval"/> of 0 makes the service return at once.</param>
    /// <param name="timeProvider">The clock; the system clock by default.</param>
    /// <param name="logger">Receives failed runs.</param>
    public QdrantCacheCleanupService(QdrantSemanticCacheStore store, IOptions<QdrantCacheOptions> options, TimeProvider? timeProvider = null, ILogger<QdrantCacheCleanupService>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _interval = options.Value.CleanupInterval;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger<QdrantCacheCleanupService>.Instance;

        // Started here, not in ExecuteAsync (which the host runs on a pool thread): the schedule does not depend on when that thread starts.
        _timer = _interval > TimeSpan.Zero ? new PeriodicTimer(_interval, _time) : null;
    }

    /// <summary>Removes the entries expired by now, once.</summary>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>How many entries were removed; 0 when the run failed (the failure is logged).</returns>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _store.RemoveExpiredAsync(_time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The store already warned once about an outage; a cleanup skipped during it is not news.
            if (e is not QdrantCacheUnavailableException)
            {
                QdrantCacheLog.CleanupFailed(_logger, e.GetType().Name, e.Message, _interval.TotalSeconds);
            }

            return 0;
        }
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        _timer?.Dispose();
        base.Dispose();
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_timer is null)
        {
            return;
        }

        try
        {
            while (await _timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                await RunOnceAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The host is stopping.
        }
    }
}
