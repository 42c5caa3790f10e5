using SkFallback.Simulator;

namespace ConsoleAgent;

/// <summary>One turn of the scripted conversation, with the faults it stages offline.</summary>
internal sealed record ScriptedTurn(string Title, string Prompt, bool Streaming, Action<ProviderSimulator>? Stage = null);

/// <summary>The scripted conversation: a healthy turn, then a visible outage.</summary>
internal static class ScriptedTurns
{
    public static IReadOnlyList<ScriptedTurn> Offline { get; } =
    [
        new("1 · all healthy: the primary calls a tool and answers", "What's the weather in Lisbon today?", Streaming: false,
            sim => sim.Model(OfflineStage.PrimaryModel).Then(SimulatedBehavior.ToolCall("Travel_get_weather", """{"city":"Lisbon"}"""))),
        new("2 · the primary is rate limited (429, Retry-After 60 s): the backup answers", "Suggest a day trip from Lisbon.", Streaming: false,
            sim => sim.Model(OfflineStage.PrimaryModel).Then(SimulatedBehavior.RateLimited(TimeSpan.FromSeconds(60)))),
        new("3 · the primary is skipped while cooling down; the backup fails mid tool loop (503): the tool does not run twice", "How much is 100 EUR in USD?", Streaming: false,
            sim => sim.Model(OfflineStage.BackupModel)
                .Then(SimulatedBehavior.ToolCall("Travel_convert_currency", """{"amount":100,"from":"EUR","to":"USD"}"""))
                .Then(SimulatedBehavior.ServerError(503), times: 2)),
        new("4 · streaming: the backup stalls before its first token: the stream switches before you see anything", "Write two lines about the sea.", Streaming: true,
            sim => sim.Model(OfflineStage.BackupModel).Then(SimulatedBehavior.Stall(0, TimeSpan.FromSeconds(30)))),
    ];

    public static IReadOnlyList<ScriptedTurn> Live { get; } =
    [
        new("1 · a tool call", "What's the weather in Lisbon today?", Streaming: false),
        new("2 · a plain answer", "Suggest a day trip from Lisbon.", Streaming: false),
        new("3 · another tool call", "How much is 100 EUR in USD?", Streaming: false),
        new("4 · streaming", "Write two lines about the sea.", Streaming: true),
    ];
}
