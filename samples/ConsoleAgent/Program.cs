using System.CommandLine;
using ConsoleAgent;

var chat = new Option<bool>("--chat") { Description = "Talk to the agent interactively instead of running the scripted conversation." };
var offline = new Option<bool>("--offline") { Description = "Use the built-in provider simulator even when API keys are set." };
var seed = new Option<int>("--seed") { Description = "Seed of the simulator's replies and latencies.", DefaultValueFactory = _ => 7 };
var verbose = new Option<bool>("--verbose") { Description = "Log every attempt, retry and fallback as it happens." };
var telemetry = new Option<string>("--telemetry")
{
    Description = "Export traces and metrics (OpenTelemetry GenAI conventions): none, console, or otlp (a collector, gRPC).",
    DefaultValueFactory = _ => Environment.GetEnvironmentVariable("SKFALLBACK_TELEMETRY") ?? ConsoleAgent.SampleTelemetry.None,
};
telemetry.AcceptOnlyFromAmong(ConsoleAgent.SampleTelemetry.None, ConsoleAgent.SampleTelemetry.Console, ConsoleAgent.SampleTelemetry.Otlp);
var otlpEndpoint = new Option<string?>("--otlp-endpoint") { Description = "The OTLP collector (gRPC), e.g. http://localhost:4317; default OTEL_EXPORTER_OTLP_ENDPOINT, else http://localhost:4317." };
otlpEndpoint.Validators.Add(result =>
{
    var text = result.GetValueOrDefault<string?>();
    if (text is null)
    {
        return;
    }

    if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
    {
        result.AddError("--otlp-endpoint must be an absolute http or https URI, such as http://localhost:4317.");
    }
    else if (result.Parent?.GetValue(telemetry) != ConsoleAgent.SampleTelemetry.Otlp)
    {
        result.AddError("--otlp-endpoint needs --telemetry otlp.");
    }
});

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

    --telemetry console|otlp (or SKFALLBACK_TELEMETRY) exports each call's span with one "chat {model}" span per
    attempt and the gen_ai.* / skfallback.* metrics; message content only with
    OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true.
    """)
{
    chat,
    offline,
    seed,
    verbose,
    telemetry,
    otlpEndpoint,
};

root.SetAction(async (parse, cancellationToken) =>
{
    var settings = new AgentSettings(
        Chat: parse.GetValue(chat),
        ForceOffline: parse.GetValue(offline),
        Seed: parse.GetValue(seed),
        Verbose: parse.GetValue(verbose),
        Telemetry: parse.GetValue(telemetry)!,
        OtlpEndpoint: parse.GetValue(otlpEndpoint) is { } endpoint ? new Uri(endpoint) : null);
    return await AgentApp.RunAsync(settings, cancellationToken);
});

return await root.Parse(args).InvokeAsync();
