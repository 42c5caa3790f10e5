namespace ConsoleAgent;

/// <summary>What the command line asked for.</summary>
internal sealed record AgentSettings(bool Chat, bool ForceOffline, int Seed, bool Verbose, string Telemetry = SampleTelemetry.None, Uri? OtlpEndpoint = null);
