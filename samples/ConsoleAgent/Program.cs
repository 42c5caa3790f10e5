using System.CommandLine;
using ConsoleAgent;

var chat = new Option<bool>("--chat") { Description = "Talk to the agent interactively instead of running the scripted conversation." };
var offline = new Option<bool>("--offline") { Description = "Use the built-in provider simulator even when API keys are set." };
var seed = new Option<int>("--seed") { Description = "Seed of the simulator's replies and latencies.", DefaultValueFactory = _ => 7 };
var verbose = new Option<bool>("--verbose") { Description = "Log every attempt, retry and fallback as it happens." };

var root = new RootCommand(
    """
    SkFallback console agent: a Semantic Kernel agent with tools over a provider fallback chain.

    Offline (the default without API keys) it starts the provider simulator on 127.0.0.1, stages an outage
    (the primary is rate limited, the backup answers 503 in the middle of a tool loop, then stalls before its
    first token; then the primary fails three times in a row, its circuit breaker opens, it is skipped, and after
    a 2 s break one probe closes it; a per-call budget sends a short question to the cheap model; the primary's
    stream breaks mid-answer and the backup continues it, the seam shown; last, the primary answers a deterministic
    question, goes down, and the same question in other words is served from the response cache, originally by the
    primary, with no provider called) and shows, per
    turn, which provider answered, every attempt with its reason, latency and tokens, the cost estimated before
    dispatch and the actual cost, the running spend, the breaker transitions and a provider-health table; at the end,
    the spend ledger. In --chat, /health prints the table, /spend the ledger, /budget 0.0005 sets a per-call budget,
    /deterministic toggles temperature 0 (so the cache serves repeated questions) and /new starts a new conversation.

    With API keys in the environment it uses real providers, in this order:
      OPENAI_API_KEY      OpenAI       (SKFALLBACK_OPENAI_MODEL, default gpt-4o-mini-2024-07-18)
      ANTHROPIC_API_KEY   Anthropic    (SKFALLBACK_ANTHROPIC_MODEL, default claude-3-5-haiku-20241022)
      MISTRAL_API_KEY     Mistral      (SKFALLBACK_MISTRAL_MODEL, default mistral-small-2503)
      DEEPSEEK_API_KEY    DeepSeek     (SKFALLBACK_DEEPSEEK_MODEL, default deepseek-chat)
      GEMINI_API_KEY      Gemini       (SKFALLBACK_GEMINI_MODEL, default gemini-2.0-flash-001)
      OPENROUTER_API_KEY  OpenRouter   (SKFALLBACK_OPENROUTER_MODEL, default openai/gpt-4o-mini-2024-07-18)
    """)
{
    chat,
    offline,
    seed,
    verbose,
};

root.SetAction(async (parse, cancellationToken) =>
{
    var settings = new AgentSettings(
        Chat: parse.GetValue(chat),
        ForceOffline: parse.GetValue(offline),
        Seed: parse.GetValue(seed),
        Verbose: parse.GetValue(verbose));
    return await AgentApp.RunAsync(settings, cancellationToken);
});

return await root.Parse(args).InvokeAsync();
