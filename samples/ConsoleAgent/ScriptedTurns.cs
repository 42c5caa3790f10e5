using SkFallback;
using SkFallback.Health;
using SkFallback.Simulator;

namespace ConsoleAgent;

/// <summary>
/// The scripted conversation: a healthy turn, a visible outage, the primary's circuit breaker opening and closing, then
/// a per-call budget sending a short question to the cheap model, a stream broken mid-answer that the backup continues,
/// and last an answer of the primary served from the response cache, in other words, while the primary is down.
/// </summary>
internal static class ScriptedTurns
{
    /// <summary>
    /// The per-call budget of the last offline turn. With a 120-token answer cap the estimates are about 0.0025 USD on
    /// gpt-4o, 0.0011 on Claude Haiku 4.5 and 0.00015 on gpt-4o-mini, so only the cheap model fits.
    /// </summary>
    private const decimal CheapCallBudgetUsd = 0.0005m;

    /// <summary>The question of the continued stream, and how many words of its answer the primary sends before its connection drops.</summary>
    private const string CoastWalkPrompt = "Describe a walk along the coast from Cascais to Guincho.";

    /// <summary>Past the commit point (8 updates), so the user has already read these words when the stream breaks.</summary>
    private const int CoastWalkCut = 14;

    /// <summary>The question the cache turns ask, and its paraphrase (MiniLM cosine 0.97, above the 0.85 default threshold).</summary>
    private const string TramQuestion = "Which tram goes up to the castle in Lisbon?";

    private const string TramParaphrase = "What tram takes you up to the castle in Lisbon?";

    /// <summary>Temperature 0: a deterministic request, the kind the response cache serves (others bypass it).</summary>
    private static readonly Dictionary<string, object> Deterministic = new() { ["temperature"] = 0 };

    public static IReadOnlyList<ScriptedTurn> Offline { get; } =
    [
        new("1 · all healthy: the primary calls a tool and answers", "What's the weather in Lisbon today?", Streaming: false,
            sim => sim.Model(OfflineStage.PrimaryModel).Then(SimulatedBehavior.ToolCall("Travel_get_weather", """{"city":"Lisbon"}"""))),
        new("2 · the primary is rate limited (429, Retry-After 5 s): the backup answers", "Suggest a day trip from Lisbon.", Streaming: false,
            sim => sim.Model(OfflineStage.PrimaryModel).Then(SimulatedBehavior.RateLimited(OfflineStage.PrimaryRetryAfter))),
        new("3 · the primary is skipped while cooling down; the backup fails mid tool loop (503): the tool does not run twice", "How much is 100 EUR in USD?", Streaming: false,
            sim => sim.Model(OfflineStage.BackupModel)
                .Then(SimulatedBehavior.ToolCall("Travel_convert_currency", """{"amount":100,"from":"EUR","to":"USD"}"""))
                .Then(SimulatedBehavior.ServerError(503), times: 2)),
        new("4 · streaming: the backup stalls before its first token: the stream switches before you see anything", "Write two lines about the sea.", Streaming: true,
            sim => sim.Model(OfflineStage.BackupModel).Then(SimulatedBehavior.Stall(0, TimeSpan.FromSeconds(30)))),
        new("5 · the primary is back but answers 503, twice with its retry; the backup's probe answers and closes its breaker", "Any museum tips for Porto?", Streaming: false,
            sim => sim.Model(OfflineStage.PrimaryModel).Then(SimulatedBehavior.ServerError(503), times: 2),
            new TurnPause("the primary's Retry-After and the backup's break run out",
                health => Latest(Of(health, OfflineStage.PrimaryModel)?.CoolingDownUntil, Of(health, OfflineStage.BackupModel)?.OpenUntil))),
        new("6 · the primary's third 503 in a row opens its breaker; the backup answers", "What should I pack for Madeira?", Streaming: false,
            sim => sim.Model(OfflineStage.PrimaryModel).Then(SimulatedBehavior.ServerError(503))),
        new("7 · the primary's breaker is open: it is skipped without a request", "When is the best time to visit the Algarve?", Streaming: false),
        new("8 · the break is over: one probe reaches the primary, it answers, the breaker closes", "Give me one tip for Sintra.", Streaming: true,
            PauseBefore: new TurnPause("the primary's break runs out", health => Of(health, OfflineStage.PrimaryModel)?.OpenUntil)),
        new($"9 · a per-call budget of ${CheapCallBudgetUsd} for a short answer: the dearer models are skipped before dispatch, the cheap one answers", "Is Porto north of Lisbon? One word, please.", Streaming: false,
            Request: new Dictionary<string, object> { [FallbackMetadataKeys.MaxCostUsd] = CheapCallBudgetUsd, ["max_tokens"] = 120 }),
        new($"10 · streaming: the primary's connection drops after {CoastWalkCut} words, past the commit point; the backup continues the answer (assistant prefill)", CoastWalkPrompt, Streaming: true,
            StageCoastWalkCut, ExpectedAnswer: sim => sim.ExpectedReply(OfflineStage.PrimaryModel, CoastWalkPrompt)),
        new("11 · a new conversation asks a deterministic question (temperature 0): the primary answers, the response cache keeps the answer", TramQuestion, Streaming: false,
            Request: Deterministic, NewConversation: true, ExpectedSource: new AnswerSource("openai", FromCache: false)),
        new("12 · the primary is down (503); another new conversation asks the same in other words: the cache replays the primary's answer as a stream, no provider is called", TramParaphrase, Streaming: true,
            sim => sim.Model(OfflineStage.PrimaryModel).Always(SimulatedBehavior.ServerError(503)),
            Request: Deterministic, NewConversation: true, ExpectedSource: new AnswerSource("openai", FromCache: true),
            ExpectedAnswer: sim => sim.ExpectedReply(OfflineStage.PrimaryModel, TramQuestion)),
        new("13 · the primary is still down: a question the cache has not seen goes to the backup", "Is the castle worth the queue?", Streaming: false,
            ExpectedSource: new AnswerSource("anthropic", FromCache: false)),
    ];

    public static IReadOnlyList<ScriptedTurn> Live { get; } =
    [
        new("1 · a tool call", "What's the weather in Lisbon today?", Streaming: false),
        new("2 · a plain answer", "Suggest a day trip from Lisbon.", Streaming: false),
        new("3 · another tool call", "How much is 100 EUR in USD?", Streaming: false),
        new("4 · streaming", "Write two lines about the sea.", Streaming: true),
        new("5 · a new conversation, a deterministic question (temperature 0): the response cache keeps the answer", TramQuestion, Streaming: false,
            Request: Deterministic, NewConversation: true, ExpectedSource: new AnswerSource(null, FromCache: false)),
        new("6 · another new conversation asks the same in other words: served from the cache, no provider called", TramParaphrase, Streaming: true,
            Request: Deterministic, NewConversation: true, ExpectedSource: new AnswerSource(null, FromCache: true)),
    ];

    /// <summary>
    /// The primary drops its stream mid-answer. Each simulated model has its own words, so the backup is scripted to
    /// continue with the rest of the primary's answer, as a real model continuing from the prefilled partial answer
    /// would: whatever the chain then joins wrongly (a repeated or a lost span at the seam) shows in the check.
    /// </summary>
    private static void StageCoastWalkCut(ProviderSimulator sim)
    {
        var full = sim.ExpectedReply(OfflineStage.PrimaryModel, CoastWalkPrompt);
        var partial = string.Join(' ', full.Split(' ').Take(CoastWalkCut));
        sim.Model(OfflineStage.PrimaryModel).Then(SimulatedBehavior.DropAfter(CoastWalkCut));
        sim.Model(OfflineStage.BackupModel).Then(SimulatedBehavior.Reply(ProviderSimulator.ExpectedContinuation(full, partial)));
    }

    private static ProviderHealthSnapshot? Of(IReadOnlyList<ProviderHealthSnapshot> health, string model) =>
        health.FirstOrDefault(s => s.Model == model);

    private static DateTimeOffset? Latest(DateTimeOffset? first, DateTimeOffset? second) =>
        first is null ? second : second is null ? first : first > second ? first : second;
}
