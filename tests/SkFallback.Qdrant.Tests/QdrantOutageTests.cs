using System.Diagnostics;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using SkFallback.Caching;
using SkFallback.Tests.Caching;

namespace SkFallback.Qdrant.Tests;

/// <summary>Qdrant down at startup or mid-run: the store throws its own exception, warns once, and backs off.</summary>
public sealed class QdrantOutageTests
{
    private const string Secret = "qd-secret-7f3a9c";
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly FakeQdrantClient _qdrant = new();
    private readonly FakeTimeProvider _time = new(T0);
    private readonly FakeLogger<QdrantSemanticCacheStore> _logger = new();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private QdrantSemanticCacheStore CreateStore(TimeSpan? backoff = null) => new(
        new QdrantCacheOptions { Endpoint = "http://qdrant.internal:6334", ApiKey = Secret, OutageBackoff = backoff ?? TimeSpan.FromSeconds(5) },
        _qdrant,
        ownsClient: false,
        _logger,
        _time);

    private static SemanticCacheEntry Entry(string key) => new()
    {
        Key = key,
        Namespace = "ns",
        Tenant = string.Empty,
        Partition = "p1",
        Vector = TestVectors.Random(1),
        Response = "{}",
        CreatedAt = T0,
        ExpiresAt = T0.AddHours(1),
    };

    private static SemanticCacheQuery Query() => new()
    {
        Namespace = "ns",
        Tenant = string.Empty,
        Partition = "p1",
        Vector = TestVectors.Random(1),
        MinSimilarity = 0.9f,
        Now = T0,
    };

    private int Logged(int eventId) => _logger.Collector.GetSnapshot().Count(r => r.Id.Id == eventId);

    [Fact]
    public async Task Operations_QdrantUnavailable_ThrowUnavailableAndWarnOnceThenFailFastDuringBackoff()
    {
        using var store = CreateStore();
        _qdrant.FailWith = StatusCode.Unavailable;

        var first = await Assert.ThrowsAsync<QdrantCacheUnavailableException>(async () => await store.GetAsync("k", T0, Token));
        Assert.False(first.DuringBackoff);
        Assert.Equal("lookup", first.Operation);
        Assert.Equal("http://qdrant.internal:6334", first.Endpoint);
        Assert.Equal("Qdrant at http://qdrant.internal:6334 is unavailable: the cache lookup failed (Unavailable: Error connecting to subchannel.).", first.Message);
        Assert.IsType<RpcException>(first.InnerException);
        Assert.True(store.IsUnavailable);

        // Within the backoff nothing reaches Qdrant.
        var calls = _qdrant.Calls;
        var fast = await Assert.ThrowsAsync<QdrantCacheUnavailableException>(async () => await store.SearchAsync(Query(), Token));
        Assert.True(fast.DuringBackoff);
        await Assert.ThrowsAsync<QdrantCacheUnavailableException>(async () => await store.UpsertAsync(Entry("k"), Token));
        Assert.Equal(calls, _qdrant.Calls);

        // After it, Qdrant is tried again; still down: no second warning.
        _time.Advance(TimeSpan.FromSeconds(5));
        var retried = await Assert.ThrowsAsync<QdrantCacheUnavailableException>(async () => await store.UpsertAsync(Entry("k"), Token));
        Assert.False(retried.DuringBackoff);
        Assert.Equal(calls + 1, _qdrant.Calls);
        Assert.Equal(1, Logged(200));
        Assert.Equal(LogLevel.Warning, _logger.Collector.GetSnapshot().Single(r => r.Id.Id == 200).Level);

        // Back: one information message, and the cache works again.
        _qdrant.FailWith = null;
        _time.Advance(TimeSpan.FromSeconds(7));
        await store.UpsertAsync(Entry("k"), Token);
        Assert.NotNull(await store.GetAsync("k", T0, Token));
        Assert.False(store.IsUnavailable);
        Assert.Equal(1, Logged(201));
        Assert.Contains("after 12.0 s", _logger.Collector.GetSnapshot().Single(r => r.Id.Id == 201).Message);
        Assert.Equal(1, Logged(200));
    }

    [Fact]
    public async Task Operations_QdrantDownMidRun_FailThenServeTheSameEntriesWhenItReturns()
    {
        using var store = CreateStore();
        await store.UpsertAsync(Entry("k"), Token);
        Assert.NotNull(await store.GetAsync("k", T0, Token));

        _qdrant.FailWith = StatusCode.Unavailable;
        await Assert.ThrowsAsync<QdrantCacheUnavailableException>(async () => await store.GetAsync("k", T0, Token));
        await Assert.ThrowsAsync<QdrantCacheUnavailableException>(async () => await store.SearchAsync(Query(), Token));
        Assert.Equal(1, Logged(200));

        _qdrant.FailWith = null;
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.NotNull(await store.GetAsync("k", T0, Token));
        Assert.Single(await store.SearchAsync(Query(), Token));
        Assert.Equal(1, Logged(201));
        Assert.Equal(1, Logged(200));
    }

    [Theory]
    [InlineData(StatusCode.DeadlineExceeded)]
    [InlineData(StatusCode.Unavailable)]
    [InlineData(StatusCode.Internal)]
    public async Task Search_Outage_IsUnavailableNotTheGrpcError(StatusCode status)
    {
        using var store = CreateStore();
        _qdrant.FailWith = status;

        var error = await Assert.ThrowsAsync<QdrantCacheUnavailableException>(async () => await store.SearchAsync(Query(), Token));

        Assert.Contains(status.ToString(), error.Message);
    }

    [Fact]
    public async Task Operations_NoBackoff_ContactQdrantEveryTime()
    {
        using var store = CreateStore(TimeSpan.Zero);
        _qdrant.FailWith = StatusCode.Unavailable;

        for (var i = 0; i < 3; i++)
        {
            var error = await Assert.ThrowsAsync<QdrantCacheUnavailableException>(async () => await store.CountAsync(Token));
            Assert.False(error.DuringBackoff);
        }

        Assert.Equal(3, _qdrant.Calls);
        Assert.Equal(1, Logged(200));
    }

    [Fact]
    public async Task Operations_WrongApiKey_PointAtTheKeyNeverItsValue()
    {
        using var store = CreateStore();
        _qdrant.FailWith = StatusCode.Unauthenticated;

        var error = await Assert.ThrowsAsync<QdrantCacheUnavailableException>(async () => await store.GetAsync("k", T0, Token));

        Assert.Contains("Unauthenticated: check SkFallback:Cache:Qdrant:ApiKey", error.Message);
        Assert.DoesNotContain(Secret, error.ToString());
        Assert.All(_logger.Collector.GetSnapshot(), r => Assert.DoesNotContain(Secret, r.Message));
    }

    [Fact]
    public async Task Operations_RequestRejected_IsNotAnOutage()
    {
        using var store = CreateStore();
        _qdrant.FailWith = StatusCode.InvalidArgument;

        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await store.SearchAsync(Query(), Token));

        Assert.Equal("Qdrant at http://qdrant.internal:6334 rejected the cache search (InvalidArgument: Error connecting to subchannel.).", error.Message);
        Assert.False(store.IsUnavailable);
        Assert.Equal(0, Logged(200));
    }

    [Fact]
    public async Task Operations_CallerCanceled_IsCancellationNotAnOutage()
    {
        using var store = CreateStore();
        using var canceled = new CancellationTokenSource();
        await canceled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await store.GetAsync("k", T0, canceled.Token));

        Assert.False(store.IsUnavailable);
        Assert.Equal(0, _qdrant.Calls);
    }

    [Fact]
    public async Task Operations_RealClientAtClosedLoopbackPort_FailFastWithoutTheKey()
    {
        var logger = new FakeLogger<QdrantSemanticCacheStore>();
        var endpoint = ClosedPort.Endpoint();
        using var store = new QdrantSemanticCacheStore(
            new QdrantCacheOptions { Endpoint = endpoint, ApiKey = Secret, Timeout = TimeSpan.FromSeconds(10), OutageBackoff = TimeSpan.Zero },
            logger,
            _time);

        var clock = Stopwatch.StartNew();
        var lookup = await Assert.ThrowsAsync<QdrantCacheUnavailableException>(async () => await store.GetAsync("k", T0, Token));
        var search = await Assert.ThrowsAsync<QdrantCacheUnavailableException>(async () => await store.SearchAsync(Query(), Token));
        var upsert = await Assert.ThrowsAsync<QdrantCacheUnavailableException>(async () => await store.UpsertAsync(Entry("k"), Token));
        clock.Stop();

        // A refused connection is reported at once, far inside the 10 s deadline.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"three failed calls took {clock.Elapsed}");
        foreach (var error in new[] { lookup, search, upsert })
        {
            Assert.StartsWith($"Qdrant at {endpoint} is unavailable: the cache ", error.Message);
            Assert.Contains("Unavailable", error.Message);
            Assert.DoesNotContain(Secret, error.ToString());
        }

        var records = logger.Collector.GetSnapshot();
        Assert.Single(records, r => r.Level == LogLevel.Warning);
        Assert.All(records, r => Assert.DoesNotContain(Secret, r.Message));
    }

    [Fact]
    public async Task Operations_RealClientDeadline_BoundsAnUnansweredCall()
    {
        // A listener that accepts connections and never answers: only the deadline ends the call.
        using var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        var port = ((System.Net.IPEndPoint)silent.LocalEndpoint).Port;
        using var store = new QdrantSemanticCacheStore(
            new QdrantCacheOptions { Endpoint = $"http://127.0.0.1:{port}", Timeout = TimeSpan.FromMilliseconds(300) },
            timeProvider: _time);

        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<QdrantCacheUnavailableException>(async () => await store.CountAsync(Token));
        clock.Stop();

        Assert.Contains("DeadlineExceeded", error.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the call took {clock.Elapsed}");
    }
}
