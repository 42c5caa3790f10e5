using System.Globalization;
using SkFallback.CircuitBreaking;
using SkFallback.Health;
using Spectre.Console;

namespace ConsoleAgent;

/// <summary>
/// Watches the chain's provider health: after each turn it prints the breaker transitions that happened during the
/// turn (highlighted) and the health table; <c>/health</c> prints the table on demand.
/// </summary>
internal sealed class ProviderHealthMonitor : IDisposable
{
    private readonly IProviderHealth _health;
    private readonly int _failureThreshold;
    private readonly BreakerTransitionListener _transitions = new();
    private IReadOnlyList<ProviderHealthSnapshot> _previous;

    public ProviderHealthMonitor(IProviderHealth health, int failureThreshold)
    {
        _health = health;
        _failureThreshold = failureThreshold;
        _previous = health.GetSnapshot();
    }

    /// <summary>Takes a snapshot of every provider now.</summary>
    public IReadOnlyList<ProviderHealthSnapshot> Snapshot() => _health.GetSnapshot();

    /// <summary>Prints the transitions since the last report (times relative to <paramref name="turnStart"/>) and the table, marking state changes.</summary>
    public void ReportTurn(DateTimeOffset turnStart)
    {
        var current = ReportTransitions(turnStart);
        AnsiConsole.Write(ProviderHealthTable.Build(current, _previous, DateTimeOffset.UtcNow));
        _previous = current;
    }

    /// <summary>Prints only the transitions since the last report (chat mode, where <c>/health</c> shows the table); returns the snapshot it named them from.</summary>
    public IReadOnlyList<ProviderHealthSnapshot> ReportTransitions(DateTimeOffset turnStart)
    {
        var current = _health.GetSnapshot();
        foreach (var transition in _transitions.Drain())
        {
            var name = current.FirstOrDefault(s => transition.ProviderKey == $"{s.Provider}/{s.Model}")?.Provider ?? transition.ProviderKey;
            var offset = string.Create(CultureInfo.InvariantCulture, $"+{Math.Max(0, (transition.At - turnStart).TotalSeconds):0.00} s");
            AnsiConsole.MarkupLine(
                $"⚡ [grey]{offset}[/] [bold]{Markup.Escape(name)}[/]: {ProviderHealthTable.State(transition.From)} → " +
                $"{ProviderHealthTable.State(transition.To)} [grey]({Markup.Escape(Explain(transition))})[/]");
        }

        return current;
    }

    /// <summary>Prints the table without marking changes (the <c>/health</c> command).</summary>
    public void PrintTable()
    {
        var current = _health.GetSnapshot();
        AnsiConsole.Write(ProviderHealthTable.Build(current, null, DateTimeOffset.UtcNow));
    }

    public void Dispose() => _transitions.Dispose();

    private string Explain(BreakerTransition transition) => (transition.From, transition.To) switch
    {
        (CircuitState.Closed, CircuitState.Open) => $"{_failureThreshold} failures in a row; requests stop",
        (CircuitState.Open, CircuitState.HalfOpen) => "break over; one probe let through",
        (CircuitState.HalfOpen, CircuitState.Closed) => "the probe answered",
        (CircuitState.HalfOpen, CircuitState.Open) => "the probe failed; break doubled",
        (CircuitState.Open, CircuitState.Closed) => "it answered as the last resort",
        _ => "changed",
    };
}
