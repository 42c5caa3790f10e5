namespace SkFallback.Proxy.Dashboard;

/// <summary>The last calls that fell back, were continued or failed (newest first), and counters of all calls.</summary>
internal sealed class RecentCalls
{
    private readonly Lock _gate = new();
    private readonly GatewayCall?[] _ring;
    private int _next;
    private long _calls;
    private long _fallbacks;

    /// <summary>Initializes a new instance of the <see cref="RecentCalls"/> class.</summary>
    /// <param name="capacity">How many fallback calls are kept.</param>
    public RecentCalls(int capacity) => _ring = new GatewayCall?[Math.Max(1, capacity)];

    /// <summary>Gets how many calls finished since the gateway started.</summary>
    public long Calls => Interlocked.Read(ref _calls);

    /// <summary>Gets how many of them fell back, were continued or failed.</summary>
    public long Fallbacks => Interlocked.Read(ref _fallbacks);

    /// <summary>Counts a finished call, and keeps it when it fell back.</summary>
    /// <param name="call">The call.</param>
    public void Add(GatewayCall call)
    {
        Interlocked.Increment(ref _calls);
        if (!call.FellBack)
        {
            return;
        }

        var sequence = Interlocked.Increment(ref _fallbacks);
        lock (_gate)
        {
            _ring[_next] = call with { Sequence = sequence };
            _next = (_next + 1) % _ring.Length;
        }
    }

    /// <summary>The kept calls, newest first.</summary>
    /// <returns>The calls.</returns>
    public IReadOnlyList<GatewayCall> Newest()
    {
        var calls = new List<GatewayCall>(_ring.Length);
        lock (_gate)
        {
            for (var i = 1; i <= _ring.Length; i++)
            {
                if (_ring[(_next - i + _ring.Length) % _ring.Length] is { } call)
                {
                    calls.Add(call);
                }
            }
        }

        return calls;
    }
}
