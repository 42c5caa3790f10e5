using System.Net.Sockets;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace SkFallback.Qdrant;

/// <summary>
/// Runs the operations of a <see cref="QdrantSemanticCacheStore"/> through the outage state: Qdrant unreachable (or not
/// answering, or refusing the credentials) starts an outage, logged once, after which operations fail at once for the
/// backoff; the first operation that gets through again ends it.
/// </summary>
internal sealed class QdrantOutageGuard
{
    private readonly string _endpoint;
    private readonly TimeSpan _backoff;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _outageLock = new();
    private DateTimeOffset _outageStarted;
    private DateTimeOffset _backoffUntil = DateTimeOffset.MinValue;
    private string _outageReason = string.Empty;
    private bool _unavailable;

    public QdrantOutageGuard(string endpoint, TimeSpan backoff, TimeProvider time, ILogger logger)
    {
        _endpoint = endpoint;
        _backoff = backoff;
        _time = time;
        _logger = logger;
    }

    /// <summary>Gets a value indicating whether the last contact with Qdrant failed because it was unreachable.</summary>
    public bool IsUnavailable
    {
        get
        {
            lock (_outageLock)
            {
                return _unavailable;
            }
        }
    }

    /// <summary>Runs one store operation: fails at once during an outage's backoff, turns the gRPC client's errors into the store's exceptions, and tracks the outage state.</summary>
    public async Task<T> RunAsync<T>(string operation, Func<CancellationToken, Task<T>> action, CancellationToken cancellationToken)
    {
        ThrowIfBackingOff(operation);
        T result;
        try
        {
            result = await action(cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException e) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException($"The cache {operation} was canceled.", e, cancellationToken);
        }
        catch (RpcException e) when (IsOutage(e.StatusCode))
        {
            throw Outage(operation, Reason(e), e);
        }
        catch (Exception e) when (e is HttpRequestException or SocketException or IOException && !cancellationToken.IsCancellationRequested)
        {
            throw Outage(operation, e.GetType().Name, e);
        }
        catch (RpcException e)
        {
            Restored();
            throw new InvalidOperationException($"Qdrant at {_endpoint} rejected the cache {operation} ({Reason(e)}).", e);
        }

        Restored();
        return result;
    }

    public static bool IsOutage(StatusCode code) => code is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Unknown
        or StatusCode.Internal or StatusCode.ResourceExhausted or StatusCode.Aborted or StatusCode.Cancelled
        or StatusCode.Unauthenticated or StatusCode.PermissionDenied;

    /// <summary>The status code and, unless it is about credentials, the server's detail: never a header, so never the key.</summary>
    private static string Reason(RpcException e) => e.StatusCode switch
    {
        StatusCode.Unauthenticated or StatusCode.PermissionDenied => $"{e.StatusCode}: check {QdrantCacheOptions.SectionName}:ApiKey",
        _ when string.IsNullOrEmpty(e.Status.Detail) => e.StatusCode.ToString(),
        _ => $"{e.StatusCode}: {e.Status.Detail}",
    };

    private void ThrowIfBackingOff(string operation)
    {
        lock (_outageLock)
        {
            if (_unavailable && _time.GetUtcNow() < _backoffUntil)
            {
                throw new QdrantCacheUnavailableException(_endpoint, operation, _outageReason, duringBackoff: true, innerException: null);
            }
        }
    }

    private QdrantCacheUnavailableException Outage(string operation, string reason, Exception error)
    {
        var now = _time.GetUtcNow();
        bool first;
        lock (_outageLock)
        {
            first = !_unavailable;
            if (first)
            {
                _outageStarted = now;
            }

            _unavailable = true;
            _outageReason = reason;
            _backoffUntil = now + _backoff;
        }

        if (first)
        {
            QdrantCacheLog.Unavailable(_logger, _endpoint, reason, _backoff.TotalSeconds);
        }
        else
        {
            QdrantCacheLog.StillUnavailable(_logger, operation, reason);
        }

        return new QdrantCacheUnavailableException(_endpoint, operation, reason, duringBackoff: false, error);
    }

    private void Restored()
    {
        double seconds;
        lock (_outageLock)
        {
            if (!_unavailable)
            {
                return;
            }

            _unavailable = false;
            seconds = (_time.GetUtcNow() - _outageStarted).TotalSeconds;
        }

        QdrantCacheLog.Restored(_logger, _endpoint, seconds);
    }
}
