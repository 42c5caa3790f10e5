using System.Diagnostics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using SkFallback;
using SkFallback.Caching;
using SkFallback.Health;
using SkFallback.SemanticKernel;
using Spectre.Console;

namespace ConsoleAgent;

/// <summary>Builds the agent (a kernel with tools over a fallback chain) and runs the scripted conversation or a chat.</summary>
internal static class AgentApp
{
    private const string Instructions = "You are a concise travel assistant. Use the tools for weather and currency questions.";

    public static async Task<int> RunAsync(AgentSettings settings, CancellationToken cancellationToken)
    {
        using var telemetry = SampleTelemetry.Start(settings.Telemetry, settings.OtlpEndpoint);
        var live = settings.ForceOffline ? [] : LiveProviders.FromEnvironment();
        await using var stage = live.Count == 0 ? await OfflineStage.StartAsync(settings.Seed, cancellationToken) : null;
        var providers = stage?.Providers ?? live;

        var plugin = new TravelPlugin();
        var builder = Kernel.CreateBuilder();
        builder.Services.AddLogging(logging => logging
            .AddSimpleConsole(o => o.SingleLine = true)
            .SetMinimumLevel(settings.Verbose ? LogLevel.Debug : LogLevel.None)
            .AddFilter("Microsoft", LogLevel.Warning));
        var failureThreshold = 0;

        // The response cache sits above the chain: local MiniLM embeddings for its semantic layer, no network, no key.
        builder.Services.AddMiniLMEmbeddingGenerator();
        builder.AddFallbackChatCompletion(
            options =>
        {
            foreach (var provider in providers)
            {
                options.Add(provider);
            }

            // Short enough that the staged stall is visible but brief; generous enough for real providers.
            options.FirstTokenTimeout = stage is null ? TimeSpan.FromSeconds(20) : TimeSpan.FromSeconds(1);
            options.AttemptTimeout = TimeSpan.FromSeconds(60);
            options.RetryBaseDelay = TimeSpan.FromMilliseconds(100);

            // Offline a break lasts ~2 s so the breaker's whole cycle fits the demo; real providers keep the 30 s default.
            if (stage is not null)
            {
                options.CircuitBreaker.BreakDuration = OfflineStage.BreakDuration;
            }

            failureThreshold = options.CircuitBreaker.FailureThreshold;
        },
            useCache: true);
        builder.Plugins.AddFromObject(plugin, "Travel");
        var kernel = builder.Build();
        var chat = kernel.GetRequiredService<IChatCompletionService>();
        var filter = kernel.Services.GetRequiredService<FallbackFunctionInvocationFilter>();

        var health = ((FallbackChatCompletionService)chat).Health!;
        using var monitor = new ProviderHealthMonitor(health, failureThreshold);
        var chain = kernel.Services.GetRequiredService<FallbackChatClient>();
        var spend = new SpendMonitor(chain);

        AnsiConsole.MarkupLine(stage is null
            ? $"[bold]SkFallback console agent[/]: live providers {Markup.Escape(string.Join(" → ", providers.Select(p => $"{p.Name} ({p.Model})")))}"
            : $"[bold]SkFallback console agent[/]: offline, provider simulator at {stage.Simulator.BaseUri}");
        AnsiConsole.MarkupLine($"Chain: {Markup.Escape(string.Join(" → ", providers.Select(p => $"{p.Name} [{p.Kind}]")))}");
        foreach (var candidate in chain.Candidates)
        {
            AnsiConsole.MarkupLine($"  [grey]{Markup.Escape(candidate.Name)}: {Markup.Escape(SpendMonitor.Describe(candidate))}[/]");
        }

        AnsiConsole.WriteLine();

        var history = new ChatHistory(Instructions);
        var session = new AgentSession(chat, kernel, history, filter, plugin, spend);
        if (settings.Chat)
        {
            return await ChatAsync(session, stage, monitor, cancellationToken);
        }

        var turns = stage is null ? ScriptedTurns.Live : ScriptedTurns.Offline;
        var failures = 0;
        foreach (var turn in turns)
        {
            if (stage is not null && turn.PauseBefore is { } pause)
            {
                await PauseAsync(pause, monitor, cancellationToken);
            }

            stage?.Prepare(turn.Stage);
            AnsiConsole.Write(new Rule($"[yellow]{Markup.Escape(turn.Title)}[/]").LeftJustified());
            if (turn.NewConversation)
            {
                session = session with { History = new ChatHistory(Instructions) };
                AnsiConsole.MarkupLine("[grey]a new conversation: only the instructions before this question[/]");
            }

            var requestsBefore = stage?.RequestCount ?? 0;
            var turnStart = DateTimeOffset.UtcNow;
            var (answered, metadata) = await TurnAsync(session, turn.Prompt, turn.Streaming, turn.Request, cancellationToken);
            if (!answered)
            {
                failures++;
            }
            else if (stage is not null && turn.ExpectedAnswer is { } expected && !CheckAnswer(session.History[^1].Content, expected(stage.Simulator)))
            {
                failures++;
            }

            if (answered && turn.ExpectedSource is { } source && !CheckSource(source, metadata, stage is null ? null : stage.RequestCount - requestsBefore))
            {
                failures++;
            }

            if (stage is not null)
            {
                AnsiConsole.MarkupLine($"[grey]requests the simulator received: {Markup.Escape(stage.RequestsSince(requestsBefore))}[/]");
            }

            monitor.ReportTurn(turnStart);
            AnsiConsole.WriteLine();
        }

        spend.PrintLedger();
        AnsiConsole.MarkupLine($"[bold]Done.[/] {turns.Count - failures} of {turns.Count} turns answered; tools ran {plugin.Runs} times, each once per call.");
        return failures == 0 ? 0 : 1;
    }

    /// <summary>Checks that the user read the whole expected answer once: no span repeated or lost where a stream was continued or replayed.</summary>
    private static bool CheckAnswer(string? answer, string expected)
    {
        if (answer == expected)
        {
            AnsiConsole.MarkupLine($"[green]✓ the text read is the whole expected answer, once ({expected.Split(' ').Length} words, nothing repeated or lost)[/]");
            return true;
        }

        AnsiConsole.MarkupLine($"[red]✗ the joined text is not the whole answer[/]\n  expected: {Markup.Escape(expected)}\n  read:     {Markup.Escape(answer ?? string.Empty)}");
        return false;
    }

    /// <summary>
    /// Checks who answered: the provider named, or the response cache (its hit metadata naming the provider that first
    /// produced the answer) with no request reaching any provider, as the simulator's log shows offline.
    /// </summary>
    private static bool CheckSource(AnswerSource expected, IReadOnlyDictionary<string, object?>? metadata, int? providerRequests)
    {
        var provider = metadata?.TryGetValue(FallbackMetadataKeys.Provider, out var p) == true ? p as string : null;
        var hit = metadata?.TryGetValue(CacheMetadataKeys.Hit, out var h) == true ? h as string : null;
        var problems = new List<string>();
        if (expected.Provider is not null && provider != expected.Provider)
        {
            problems.Add($"{(expected.FromCache ? "originally answered" : "answered")} by {provider ?? "?"}, not {expected.Provider}");
        }

        if (expected.FromCache && hit is null)
        {
            problems.Add("not served from the cache");
        }
        else if (!expected.FromCache && hit is not null)
        {
            problems.Add($"served from the cache ({hit}) instead of a provider");
        }

        if (expected.FromCache && providerRequests is > 0)
        {
            problems.Add($"the providers received {providerRequests} request(s)");
        }

        if (problems.Count > 0)
        {
            AnsiConsole.MarkupLine($"[red]✗ {Markup.Escape(string.Join("; ", problems))}[/]");
            return false;
        }

        var requests = providerRequests is { } n ? $"; the simulator received {n} request(s)" : string.Empty;
        AnsiConsole.MarkupLine(expected.FromCache
            ? $"[green]✓ served from the cache, originally by {Markup.Escape(provider ?? "?")}: no provider was called{Markup.Escape(requests)}[/]"
            : $"[green]✓ answered by {Markup.Escape(provider ?? "?")}, not from the cache{Markup.Escape(requests)}[/]");
        return true;
    }

    /// <summary>Waits, visibly, until the moment the pause reads from the providers' health.</summary>
    private static async Task PauseAsync(TurnPause pause, ProviderHealthMonitor monitor, CancellationToken cancellationToken)
    {
        if (pause.Until(monitor.Snapshot()) is not { } until)
        {
            return;
        }

        // A few milliseconds past the moment, so the provider is surely back when the turn starts.
        var wait = until - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(20);
        if (wait > TimeSpan.Zero)
        {
            AnsiConsole.MarkupLine($"[grey]… waiting {wait.TotalSeconds:0.0} s: {Markup.Escape(pause.Reason)}[/]");
            await Task.Delay(wait, cancellationToken);
        }
    }

    private static async Task<int> ChatAsync(AgentSession session, OfflineStage? stage, ProviderHealthMonitor monitor, CancellationToken cancellationToken)
    {
        AnsiConsole.MarkupLine("Type a message; [grey]/stream[/] toggles streaming" + (stage is null ? string.Empty : ", [grey]/outage[/] toggles a 503 outage on the primary") +
            ", [grey]/budget 0.0005[/] sets a per-call budget in USD ([grey]/budget off[/] lifts it), [grey]/deterministic[/] toggles temperature 0 (the response cache serves" +
            " repeated and paraphrased questions), [grey]/new[/] starts a new conversation, [grey]/health[/] shows the providers' health, [grey]/spend[/] the spend ledger, [grey]/quit[/] ends.");
        var streaming = true;
        var deterministic = false;
        decimal? budget = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            AnsiConsole.Markup("[bold green]you>[/] ");
            var line = Console.ReadLine();
            if (line is null || line.Trim() == "/quit")
            {
                return 0;
            }

            var command = line.Trim();
            switch (command)
            {
                case "":
                    continue;
                case "/stream":
                    streaming = !streaming;
                    AnsiConsole.MarkupLine($"streaming {(streaming ? "on" : "off")}");
                    continue;
                case "/outage" when stage is not null:
                    AnsiConsole.MarkupLine($"primary outage {(stage.ToggleOutage() ? "on" : "off")}");
                    continue;
                case "/deterministic":
                    deterministic = !deterministic;
                    AnsiConsole.MarkupLine(deterministic ? "temperature 0: repeated questions are served from the cache" : "provider default temperature: the cache is bypassed");
                    continue;
                case "/new":
                    session = session with { History = new ChatHistory(Instructions) };
                    AnsiConsole.MarkupLine("a new conversation");
                    continue;
                case "/health":
                    monitor.PrintTable();
                    continue;
                case "/spend":
                    session.Spend.PrintLedger();
                    continue;
                case "/budget off":
                    budget = null;
                    AnsiConsole.MarkupLine("no per-call budget");
                    continue;
                case var _ when command.StartsWith("/budget ", StringComparison.Ordinal):
                    if (decimal.TryParse(command["/budget ".Length..], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var usd) && usd > 0)
                    {
                        budget = usd;
                        AnsiConsole.MarkupLine($"each call may cost at most {usd.ToString(System.Globalization.CultureInfo.InvariantCulture)} USD");
                    }
                    else
                    {
                        AnsiConsole.MarkupLine("[red]/budget takes a positive amount of US dollars, e.g. /budget 0.0005[/]");
                    }

                    continue;
            }

            var turnStart = DateTimeOffset.UtcNow;
            var request = new Dictionary<string, object>();
            if (budget is { } limit)
            {
                request[FallbackMetadataKeys.MaxCostUsd] = limit;
            }

            if (deterministic)
            {
                request["temperature"] = 0;
            }

            await TurnAsync(session, line, streaming, request, cancellationToken);
            monitor.ReportTransitions(turnStart);
            AnsiConsole.WriteLine();
        }

        return 0;
    }

    /// <summary>
    /// The turn's execution settings: tools on, every call tagged with the agent's tenant (so the chain estimates its cost
    /// before dispatch and the ledger totals the tenant), plus the turn's own request keys.
    /// </summary>
    private static PromptExecutionSettings SettingsFor(IReadOnlyDictionary<string, object>? request)
    {
        var extensionData = new Dictionary<string, object> { [FallbackMetadataKeys.Tenant] = SpendMonitor.Tenant };
        foreach (var (key, value) in request ?? new Dictionary<string, object>())
        {
            extensionData[key] = value;
        }

        return new PromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Auto(), ExtensionData = extensionData };
    }

    private static async Task<(bool Answered, IReadOnlyDictionary<string, object?>? Metadata)> TurnAsync(
        AgentSession session, string prompt, bool streaming, IReadOnlyDictionary<string, object>? request, CancellationToken cancellationToken)
    {
        var (chat, kernel, history, filter, plugin, spend) = session;
        AnsiConsole.MarkupLine($"[bold green]user>[/] {Markup.Escape(prompt)}");
        history.AddUserMessage(prompt);
        var firstNew = history.Count;
        var callsBefore = filter.Calls.Count;
        var runsBefore = plugin.Runs;
        var execution = SettingsFor(request);
        spend.StartTurn();
        var clock = Stopwatch.StartNew();
        TimeSpan? firstToken = null;
        IReadOnlyDictionary<string, object?>? finalMetadata = null;
        string answer;
        try
        {
            if (streaming)
            {
                AnsiConsole.Markup("[bold blue]agent>[/] ");
                var text = new System.Text.StringBuilder();
                var seams = new StreamSeams();
                await foreach (var chunk in chat.GetStreamingChatMessageContentsAsync(history, execution, kernel, cancellationToken))
                {
                    seams.Add(chunk);
                    if (!string.IsNullOrEmpty(chunk.Content))
                    {
                        firstToken ??= clock.Elapsed;
                        text.Append(chunk.Content);
                        AnsiConsole.Markup(Markup.Escape(chunk.Content));
                    }

                    if (chunk.Metadata?.ContainsKey(FallbackMetadataKeys.Attempts) == true)
                    {
                        finalMetadata = chunk.Metadata;
                    }
                }

                AnsiConsole.WriteLine();
                seams.Print();
                answer = text.ToString();
                history.AddAssistantMessage(answer);
            }
            else
            {
                var message = await chat.GetChatMessageContentAsync(history, execution, kernel, cancellationToken);
                history.Add(message);
                finalMetadata = message.Metadata;
                answer = message.Content ?? string.Empty;
                AnsiConsole.MarkupLine($"[bold blue]agent>[/] {Markup.Escape(answer)}");
            }
        }
        catch (FallbackExhaustedException exhausted)
        {
            AnsiConsole.MarkupLine($"[red]Every provider failed:[/] {Markup.Escape(exhausted.Message)}");
            return (false, null);
        }
        catch (BudgetExceededException refused)
        {
            // Refused before any request (BeforeDispatch): the user's message stays unanswered in the history.
            SpendMonitor.ReportRefusal(refused);
            return (false, null);
        }

        clock.Stop();
        Report(session, firstNew, finalMetadata, filter.Calls.Skip(callsBefore).ToList(), plugin.Runs - runsBefore, clock.Elapsed, firstToken);
        return (true, finalMetadata);
    }

    private static void Report(
        AgentSession session, int firstNew, IReadOnlyDictionary<string, object?>? finalMetadata,
        List<FunctionCallRecord> calls, int toolRuns, TimeSpan elapsed, TimeSpan? firstToken)
    {
        // Each model round trip of the turn carries its own attempts: the tool-call messages in the history, then the answer.
        var history = session.History;
        var roundTrips = new List<IReadOnlyDictionary<string, object?>>();
        for (var i = firstNew; i < history.Count; i++)
        {
            if (history[i].Role == AuthorRole.Assistant && history[i].Metadata?.ContainsKey(FallbackMetadataKeys.Attempts) == true)
            {
                roundTrips.Add(history[i].Metadata!);
            }
        }

        if (finalMetadata is not null && (roundTrips.Count == 0 || !ReferenceEquals(roundTrips[^1], finalMetadata)))
        {
            roundTrips.Add(finalMetadata);
        }

        roundTrips = roundTrips.Distinct().ToList();
        var table = new Table().Border(TableBorder.Simple).AddColumns("#", "provider", "outcome", "HTTP", "ms", "detail");
        var trip = 0;
        foreach (var metadata in roundTrips)
        {
            trip++;
            foreach (var attempt in (IEnumerable<FallbackAttempt>)metadata[FallbackMetadataKeys.Attempts]!)
            {
                var outcome = attempt.Succeeded ? "[green]answered[/]" : attempt.Skipped ? $"[grey]skipped: {attempt.Outcome}[/]" : $"[red]{attempt.Outcome}[/]";
                table.AddRow(
                    trip.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    Markup.Escape(attempt.Provider),
                    outcome,
                    attempt.StatusCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "",
                    attempt.Skipped ? "" : attempt.Elapsed.TotalMilliseconds.ToString("0", System.Globalization.CultureInfo.InvariantCulture),
                    Markup.Escape(Shorten(attempt.Detail)));
            }
        }

        if (table.Rows.Count > 0)
        {
            AnsiConsole.Write(table);
        }

        var provider = finalMetadata?.TryGetValue(FallbackMetadataKeys.Provider, out var p) == true ? p as string : "?";
        var tokens = Tokens(finalMetadata);
        var latency = $"{elapsed.TotalMilliseconds:0} ms" + (firstToken is { } ttft ? $", first token after {ttft.TotalMilliseconds:0} ms" : string.Empty);
        if (finalMetadata?.TryGetValue(CacheMetadataKeys.Hit, out var hit) == true && hit is string layer)
        {
            AnsiConsole.MarkupLine($"[bold]served from the cache[/] ({Markup.Escape(CacheDetail(layer, finalMetadata))}), originally by [bold]{Markup.Escape(provider ?? "?")}[/] · {latency} · no provider called");
        }
        else
        {
            AnsiConsole.MarkupLine($"answered by [bold]{Markup.Escape(provider ?? "?")}[/] · {latency} · tokens {Markup.Escape(tokens)}");
        }

        session.Spend.ReportTurn(roundTrips);
        foreach (var call in calls)
        {
            AnsiConsole.MarkupLine($"  tool [aqua]{Markup.Escape(call.PluginName + "." + call.FunctionName)}[/] asked for by [bold]{Markup.Escape(call.Provider)}[/]");
        }

        if (calls.Count > 0)
        {
            AnsiConsole.MarkupLine($"  tools ran {toolRuns} time(s) for {calls.Count} call(s)");
        }
    }

    /// <summary>Which cache layer served the answer, how similar the question was, and when and from which model the answer first came.</summary>
    private static string CacheDetail(string layer, IReadOnlyDictionary<string, object?> metadata)
    {
        var detail = layer == CacheMetadataKeys.SemanticHit && metadata.TryGetValue(CacheMetadataKeys.Similarity, out var s) && s is float similarity
            ? $"semantic layer, similarity {similarity.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)}"
            : $"{layer} layer";
        if (metadata.TryGetValue(FallbackMetadataKeys.Model, out var m) && m is string model)
        {
            detail += $", {model}";
        }

        if (metadata.TryGetValue(CacheMetadataKeys.CachedAt, out var at) && at is DateTimeOffset cachedAt)
        {
            detail += $", cached {(DateTimeOffset.UtcNow - cachedAt).TotalSeconds.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)} s ago";
        }

        return detail;
    }

    private static string Tokens(IReadOnlyDictionary<string, object?>? metadata)
    {
        if (metadata is null)
        {
            return "n/a";
        }

        foreach (var value in metadata.Values)
        {
            if (value is UsageDetails usage)
            {
                return $"{usage.InputTokenCount} in / {usage.OutputTokenCount} out";
            }
        }

        return metadata.TryGetValue("Usage", out var raw) && raw is not null ? raw.ToString() ?? "n/a" : "n/a";
    }

    private static string Shorten(string? detail) =>
        string.IsNullOrEmpty(detail) ? string.Empty : detail.Length <= 48 ? detail : detail[..45] + "...";
}
