namespace SkFallback.Cli.Events;

/// <summary>One provider over the events looked at.</summary>
/// <param name="Provider">The provider.</param>
/// <param name="Attempts">Attempts (skips included).</param>
/// <param name="Failures">Attempts that failed or were skipped.</param>
/// <param name="Answered">Events it answered.</param>
/// <param name="FellBackFrom">Events in which it failed or was skipped and another provider answered.</param>
/// <param name="FailureRate">Failures over attempts.</param>
internal sealed record ProviderCount(string Provider, int Attempts, int Failures, int Answered, int FellBackFrom, double FailureRate);
