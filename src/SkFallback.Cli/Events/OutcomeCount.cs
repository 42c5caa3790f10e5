namespace SkFallback.Cli.Events;

/// <summary>How many events ended one way.</summary>
/// <param name="Outcome">The outcome (log name).</param>
/// <param name="Events">Events logged.</param>
/// <param name="EstimatedCalls">Calls they stand for: each event counts 1/sample_rate.</param>
internal sealed record OutcomeCount(string Outcome, int Events, double EstimatedCalls);
