using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SkFallback.CircuitBreaking;
using StackExchange.Redis;

namespace SkFallback.Redis;

/// <summary>
/// Shares breaker states, cooldowns and half-open probe leases between replicas through Redis: each change is merged
/// into a per-provider hash by a Lua script that only moves state forward, and pushed to the other replicas over
/// pub/sub. Nothing here is on the healthy path of a call, and nothing here throws or waits on Redis for long: while
/// Redis is unreachable every operation is a no-op (the engine's local state rules), one warning is logged per outage,
/// and when Redis returns the store replays this replica's changes made meanwhile and delivers the shared state again.
/// </summary>
/// <remarks>
/// Keys are plain (no hash tags): a standalone, replicated or Sentinel Redis is expected, not Redis Cluster, because the
/// merge script touches a provider's hash and its probe lease together.
/// </remarks>
public sealed class RedisProviderStateStore : IProviderStateStore, IAsyncDisposable, IDisposable
{
    private readonly RedisProviderStateOptions _options;
    private readonly RedisKeys _keys;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly bool _ownsConnection;
    private readonly Task<IConnectionMultiplexer?> _connecting;
    private readonly Task _started;
    private readonly SeenVersions _seen = new();
    private readonly PendingChanges _pending = new();
    private readonly ConcurrentDictionary<string, byte> _acquiring = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly RedisOutage _outage;
    private readonly StateSubscribers _subscribers;
    private IConnectionMultiplexer? _connection;
    private ChannelMessageQueue? _channel;
    private int _subscribingChannel;
    private int _resyncRunning;
    private int _resyncAgain;
    private int _catchUpFailures;
    private int _disposed;

    /// <summary>Initializes a new instance of the <see cref="RedisProviderStateStore"/> class and starts connecting in the background.</summary>
    /// <param name="options">Where Redis is and how keys are named; validated here.</param>
    /// <param name="logger">Receives one warning per outage and one message when Redis returns; optional.</param>
    /// <param name="timeProvider">The clock for key expiry and outage lengths; defaults to <see cref="TimeProvider.System"/>.</param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are invalid.</exception>
    public RedisProviderStateStore(RedisProviderStateOptions options, ILogger<RedisProviderStateStore>? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        RedisProviderStateOptionsValidator.ThrowIfInvalid(options);
        _options = options;
        _keys = new RedisKeys(options.KeyPrefix);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        ReplicaId = options.ReplicaId;
        _outage = new RedisOutage(_time, _logger);
        _subscribers = new StateSubscribers(_logger);

        if (options.ConnectionMultiplexer is { } existing)
        {
            _ownsConnection = false;
            _connecting = Task.FromResult<IConnectionMultiplexer?>(existing);
        }
        else
        {
            _ownsConnection = true;
            _connecting = RedisConnection.ConnectAsync(options.ConnectionString!);
        }

        _started = _connecting.ContinueWith(
            static (task, state) => ((RedisProviderStateStore)state!).OnConnected(task.Result),
            this,
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnRanToCompletion,
            TaskScheduler.Default);
    }

    /// <inheritdoc />
    public string ReplicaId { get; }

    /// <summary>Gets a value indicating whether Redis is currently reachable from this replica.</summary>
    public bool IsConnected => _connection is { IsConnected: true } && !_outage.IsActive;

    /// <summary>Gets how many times an operation or the connection reported Redis unreachable (for tests: logging stays once per outage).</summary>
    internal long OutageSignals => _outage.Signals;

    /// <summary>Gets the task that completes when the first connection attempt has finished and been handled (connected or not).</summary>
    internal Task Connecting => _started;

    /// <summary>Gets the task that completes once the store is connected, subscribed to the channel and resynchronised.</summary>
    internal Task Ready => _ready.Task;

    /// <inheritdoc />
    public void Publish(ProviderStateChange change)
    {
        if (change is null || Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        try
        {
            var connection = _connection;
            if (connection is null || !connection.IsConnected)
            {
                _pending.Keep(change);
                if (connection is not null)
                {
                    EnterOutage("not connected");
                }

                return;
            }

            _ = PublishAsync(connection, change);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _pending.Keep(change);
            EnterOutage(ex.Message);
        }
    }

    /// <inheritdoc />
    public bool TryAcquireProbe(string providerKey, TimeSpan lease)
    {
        if (string.IsNullOrEmpty(providerKey) || Volatile.Read(ref _disposed) != 0)
        {
            return true;
        }

        var connection = _connection;
        if (connection is null || !connection.IsConnected)
        {
            if (connection is not null)
            {
                EnterOutage("not connected");
            }

            return true;
        }

        // One question to Redis per provider at a time: a concurrent caller on this replica would lose to it anyway,
        // and this keeps blocked threads to one per provider.
        if (!_acquiring.TryAdd(providerKey, 0))
        {
            return false;
        }

        try
        {
            return ProbeLease.TryAcquire(
                connection.GetDatabase(),
                _keys.Probe(providerKey),
                ReplicaId,
                lease > TimeSpan.Zero ? lease : _options.ProbeLease,
                _options.ProbeAcquireTimeout);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            RedisProviderStateLog.OperationFailed(_logger, ex, "probe lease");
            EnterOutage(ex.GetBaseException().Message);
            return true;
        }
        finally
        {
            _acquiring.TryRemove(providerKey, out _);
        }
    }

    /// <inheritdoc />
    public IDisposable Subscribe(Action<ProviderStateChange> onChange)
    {
        ArgumentNullException.ThrowIfNull(onChange);
        var subscription = _subscribers.Add(onChange);

        if (_connection is { IsConnected: true } connection)
        {
            _ = ResyncAsync(connection, subscription);
        }

        // Not connected yet: OnConnected or the next ConnectionRestored resynchronises every subscriber.
        return subscription;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _subscribers.Clear();

        var connection = await _connecting.ConfigureAwait(false);
        if (connection is null)
        {
            return;
        }

        connection.ConnectionFailed -= OnConnectionFailed;
        connection.ConnectionRestored -= OnConnectionRestored;
        try
        {
            if (_channel is { } channel)
            {
                await channel.UnsubscribeAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            // Unreachable Redis drops the subscription anyway.
        }

        if (_ownsConnection)
        {
            await connection.CloseAsync(allowCommandsToComplete: false).ConfigureAwait(false);
            connection.Dispose();
        }
    }

    /// <inheritdoc />
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private void OnConnected(IConnectionMultiplexer? connection)
    {
        if (connection is null)
        {
            EnterOutage("could not create the connection");
            return;
        }

        _connection = connection;
        connection.ConnectionFailed += OnConnectionFailed;
        connection.ConnectionRestored += OnConnectionRestored;
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        if (connection.IsConnected)
        {
            _ = CatchUpAsync(connection);
        }
        else
        {
            EnterOutage("no connection at startup");
        }
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e) =>
        EnterOutage($"{e.FailureType} on {e.ConnectionType} connection");

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (Volatile.Read(ref _disposed) == 0 && _connection is { IsConnected: true } connection)
        {
            _ = CatchUpAsync(connection);
        }
    }

    /// <summary>After a (re)connection: make sure the channel is subscribed, then resynchronise, then replay what failed meanwhile.</summary>
    private async Task CatchUpAsync(IConnectionMultiplexer connection)
    {
        // Coalesce: restorations of both connections (interactive and subscription) arrive together. A request
        // that arrives while another catch-up runs is taken by that one's loop or, once it has released the
        // flag (a full fence, so the request cannot be missed), by the outer loop here.
        Interlocked.Exchange(ref _resyncAgain, 1);
        while (Volatile.Read(ref _resyncAgain) == 1 && Interlocked.CompareExchange(ref _resyncRunning, 1, 0) == 0)
        {
            bool caughtUp;
            try
            {
                caughtUp = await CatchUpWhileAskedAsync(connection).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Exchange(ref _resyncRunning, 0);
            }

            if (!caughtUp)
            {
                RetryCatchUpLater(connection);
                return;
            }
        }
    }

    private async Task<bool> CatchUpWhileAskedAsync(IConnectionMultiplexer connection)
    {
        while (Interlocked.Exchange(ref _resyncAgain, 0) == 1 && Volatile.Read(ref _disposed) == 0)
        {
            if (!await EnsureChannelAsync(connection).ConfigureAwait(false)
                || !await ResyncAsync(connection, only: null).ConfigureAwait(false))
            {
                return false;
            }

            _catchUpFailures = 0;
            _outage.Leave();
            ReplayPending(connection);
            _ready.TrySetResult();
        }

        return true;
    }

    /// <summary>
    /// A subscription or resynchronisation that timed out on a live connection raises no reconnection event,
    /// so nothing else would try again: retry after a delay that doubles from 250 ms up to 8 s.
    /// </summary>
    private void RetryCatchUpLater(IConnectionMultiplexer connection)
    {
        var failures = Math.Min(Interlocked.Increment(ref _catchUpFailures), 6);
        var delay = TimeSpan.FromMilliseconds(250 * (1 << (failures - 1)));
        _ = RetryAfterAsync(connection, delay);
    }

    private async Task RetryAfterAsync(IConnectionMultiplexer connection, TimeSpan delay)
    {
        await Task.Delay(delay, _time).ConfigureAwait(false);
        if (Volatile.Read(ref _disposed) == 0 && connection.IsConnected)
        {
            await CatchUpAsync(connection).ConfigureAwait(false);
        }
    }

    private async Task<bool> EnsureChannelAsync(IConnectionMultiplexer connection)
    {
        if (Volatile.Read(ref _channel) is not null)
        {
            return true; // the multiplexer resubscribes it after a reconnect
        }

        if (Interlocked.CompareExchange(ref _subscribingChannel, 1, 0) != 0)
        {
            return true;
        }

        try
        {
            var channel = await connection.GetSubscriber().SubscribeAsync(_keys.Channel).ConfigureAwait(false);
            channel.OnMessage(message => OnMessage(message.Message));
            Volatile.Write(ref _channel, channel);
            return true;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            RedisProviderStateLog.OperationFailed(_logger, ex, "subscribe");
            EnterOutage(ex.Message);
            return false;
        }
        finally
        {
            Volatile.Write(ref _subscribingChannel, 0);
        }
    }

    private void OnMessage(RedisValue message)
    {
        if (message.IsNullOrEmpty || SharedProviderState.FromMessage((byte[])message!) is not { } shared)
        {
            return;
        }

        if (!_seen.Advance(shared.Change.ProviderKey, shared.Version) || shared.Change.Origin == ReplicaId)
        {
            return; // stale (already delivered by a resync) or this replica's own echo
        }

        _subscribers.Deliver(shared.Change, _subscribers.Current);
    }

    /// <summary>Reads every provider record of the prefix and delivers those this replica has not seen (or all, to a new subscriber).</summary>
    private async Task<bool> ResyncAsync(IConnectionMultiplexer connection, StateSubscribers.Subscription? only)
    {
        try
        {
            int count = 0;
            await foreach (var (providerKey, shared) in SharedStateScan.ReadAsync(connection, _keys).ConfigureAwait(false))
            {
                count++;
                bool unseen = _seen.Advance(providerKey, shared.Version);
                if (shared.Change.Origin == ReplicaId)
                {
                    continue;
                }

                if (only is not null)
                {
                    _subscribers.Deliver(shared.Change, [only]);
                }
                else if (unseen)
                {
                    _subscribers.Deliver(shared.Change, _subscribers.Current);
                }
            }

            RedisProviderStateLog.Resynchronised(_logger, count);
            return true;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            RedisProviderStateLog.OperationFailed(_logger, ex, "resynchronise");
            EnterOutage(ex.GetBaseException().Message);
            return false;
        }
    }

    private async Task PublishAsync(IConnectionMultiplexer connection, ProviderStateChange change)
    {
        try
        {
            var baseVersion = _seen.Of(change.ProviderKey);
            var result = await connection.GetDatabase().ScriptEvaluateAsync(
                ProviderStateScript.Source,
                [_keys.Provider(change.ProviderKey), _keys.Probe(change.ProviderKey)],
                ProviderStateScript.Arguments(change, baseVersion, _time.GetUtcNow(), _options.StateRetention, _keys)).ConfigureAwait(false);
            var values = (RedisResult[]?)result;
            if (values is { Length: 2 } && (long)values[0] == 1)
            {
                _seen.Advance(change.ProviderKey, (long)values[1]);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            RedisProviderStateLog.OperationFailed(_logger, ex, "publish");
            _pending.Keep(change);
            EnterOutage(ex.GetBaseException().Message);
        }
    }

    private void ReplayPending(IConnectionMultiplexer connection)
    {
        foreach (var change in _pending.TakeLive(_time.GetUtcNow()))
        {
            _ = PublishAsync(connection, change);
        }
    }

    private void EnterOutage(string reason) => _outage.Enter(reason, disposed: Volatile.Read(ref _disposed) != 0);
}
