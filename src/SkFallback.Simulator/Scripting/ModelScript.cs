using SkFallback.Simulator.Scripting;

namespace SkFallback.Simulator;

/// <summary>
/// The script of one simulated model id: a queue of behaviours consumed one per request, a default behaviour
/// once the queue is empty, latency and context window. Thread-safe; methods return the script for chaining.
/// </summary>
public sealed class ModelScript
{
    private readonly Lock _gate = new();
    private readonly Queue<SimulatedBehavior> _queue = new();
    private SimulatedBehavior _always = SimulatedBehavior.Ok();
    private LatencyProfile? _latency;
    private int? _contextWindow;

    internal ModelScript(string modelId) => ModelId = modelId;

    /// <summary>Gets the model id this script belongs to.</summary>
    public string ModelId { get; }

    /// <summary>Queues a behaviour for the next <paramref name="times"/> requests, after those already queued.</summary>
    /// <param name="behavior">The behaviour.</param>
    /// <param name="times">How many requests get it (at least 1).</param>
    /// <returns>This script.</returns>
    public ModelScript Then(SimulatedBehavior behavior, int times = 1)
    {
        ArgumentNullException.ThrowIfNull(behavior);
        ArgumentOutOfRangeException.ThrowIfLessThan(times, 1);
        lock (_gate)
        {
            for (var i = 0; i < times; i++)
            {
                _queue.Enqueue(behavior);
            }
        }

        return this;
    }

    /// <summary>Sets the behaviour used once the queue is empty (initially <see cref="SimulatedBehavior.Ok"/>).</summary>
    /// <param name="behavior">The behaviour.</param>
    /// <returns>This script.</returns>
    public ModelScript Always(SimulatedBehavior behavior)
    {
        ArgumentNullException.ThrowIfNull(behavior);
        lock (_gate)
        {
            _always = behavior;
        }

        return this;
    }

    /// <summary>Sets the latency of this model, replacing <see cref="SimulatorOptions.DefaultLatency"/>.</summary>
    /// <param name="latency">The latency profile.</param>
    /// <returns>This script.</returns>
    public ModelScript WithLatency(LatencyProfile latency)
    {
        ArgumentNullException.ThrowIfNull(latency);
        ArgumentOutOfRangeException.ThrowIfLessThan(latency.Jitter, 0, nameof(latency));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(latency.Jitter, 1, nameof(latency));
        lock (_gate)
        {
            _latency = latency;
        }

        return this;
    }

    /// <summary>
    /// Sets the context window; requests whose prompt is estimated above it get the wire's context-length error
    /// without consuming the queue.
    /// </summary>
    /// <param name="tokens">The window in tokens (at least 1).</param>
    /// <returns>This script.</returns>
    public ModelScript WithContextWindow(int tokens)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tokens, 1);
        lock (_gate)
        {
            _contextWindow = tokens;
        }

        return this;
    }

    internal LatencyProfile? Latency
    {
        get
        {
            lock (_gate)
            {
                return _latency;
            }
        }
    }

    internal int? ContextWindow
    {
        get
        {
            lock (_gate)
            {
                return _contextWindow;
            }
        }
    }

    internal SimulatedBehavior Next()
    {
        lock (_gate)
        {
            return _queue.TryDequeue(out var next) ? next : _always;
        }
    }

    /// <summary>Clears the queue and restores the defaults; used when a JSON script replaces this one.</summary>
    internal void Clear()
    {
        lock (_gate)
        {
            _queue.Clear();
            _always = SimulatedBehavior.Ok();
            _latency = null;
            _contextWindow = null;
        }
    }
}
