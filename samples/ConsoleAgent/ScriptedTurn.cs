using SkFallback.Simulator;

namespace ConsoleAgent;

/// <summary>One turn of the scripted conversation, with the faults it stages offline and an optional wait before it.</summary>
/// <param name="Title">The headline shown above the turn.</param>
/// <param name="Prompt">What the user says.</param>
/// <param name="Streaming">Whether the answer is streamed.</param>
/// <param name="Stage">What the simulated providers do during the turn (offline only).</param>
/// <param name="PauseBefore">A wait before the turn, until a cooldown or a break ends (offline only).</param>
/// <param name="Request">Request keys for the turn (<c>FallbackMetadataKeys</c>: a per-call budget, a routing policy, ...) and execution settings such as <c>max_tokens</c>.</param>
/// <param name="ExpectedAnswer">The whole answer the user must read, from the simulator; checked after the turn (offline only).</param>
/// <param name="NewConversation">Whether the turn starts a new conversation (another user of the same agent), with only the instructions before it.</param>
/// <param name="ExpectedSource">Who must answer: a provider, or the response cache; checked after the turn.</param>
internal sealed record ScriptedTurn(
    string Title,
    string Prompt,
    bool Streaming,
    Action<ProviderSimulator>? Stage = null,
    TurnPause? PauseBefore = null,
    IReadOnlyDictionary<string, object>? Request = null,
    Func<ProviderSimulator, string>? ExpectedAnswer = null,
    bool NewConversation = false,
    AnswerSource? ExpectedSource = null);
