using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using SkFallback.Simulator.Content;
using SkFallback.Simulator.RateLimiting;
using SkFallback.Simulator.Scripting;

namespace SkFallback.Simulator.Server;

/// <summary>Answers one chat request on either wire: picks the scripted behaviour, paces it, writes or breaks it.</summary>
internal sealed class ChatRequestHandler(SimulatorState state)
{
    public async Task HandleAsync(HttpContext context, ChatWire wire)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, state.Stopping);
        var cancellationToken = linked.Token;
        RequestLog.Entry? entry = null;
        try
        {
            string raw;
            using (var reader = new StreamReader(context.Request.Body, Encoding.UTF8))
            {
                raw = await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
            }

            if (TryParse(raw) is not { } body)
            {
                entry = state.Log.Add(wire.Format, null, JsonValue.Create(raw));
                entry.BehaviorName = "invalid_json";
                entry.StatusCode = 400;
                await wire.WriteInvalidRequestAsync(context, "We could not parse the JSON body of your request.", cancellationToken).ConfigureAwait(false);
                return;
            }

            var request = wire.Read(body);
            var logged = entry = state.Log.Add(wire.Format, request, body);
            context.Response.OnStarting(() =>
            {
                // An aborted connection never carried a status line, even if Kestrel starts the response afterwards.
                logged.StatusCode = logged.Dropped || context.RequestAborted.IsCancellationRequested ? 0 : context.Response.StatusCode;
                return Task.CompletedTask;
            });
            await RespondAsync(context, wire, request, logged, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away (or the simulator stopped) while we waited: nothing more to send.
            MarkAborted(context, entry);
            context.Abort();
        }
        catch (IOException)
        {
            MarkAborted(context, entry);
            context.Abort();
        }
        finally
        {
            entry?.End();
        }
    }

    /// <summary>Records that the client, not the simulator, ended the exchange early.</summary>
    private void MarkAborted(HttpContext context, RequestLog.Entry? entry)
    {
        if (entry is not null && context.RequestAborted.IsCancellationRequested && !state.Stopping.IsCancellationRequested)
        {
            entry.Aborted = true;
        }
    }

    private static JsonObject? TryParse(string raw)
    {
        try
        {
            return JsonNode.Parse(raw) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private async Task RespondAsync(HttpContext context, ChatWire wire, ChatRequestSummary request, RequestLog.Entry entry, CancellationToken cancellationToken)
    {
        ModelScript? script = null;
        SimulatedBehavior behavior;
        RateLimitStatus? rateLimits = null;
        if (!state.IsAuthorized(context.Request))
        {
            // No key, no account: real providers send no rate-limit headers with this 401.
            behavior = SimulatedBehavior.Unauthorized();
        }
        else
        {
            // Anthropic validates the prefill before anything else runs, the script included.
            var invalid = TrailingWhitespacePrefill(wire, request);
            if (invalid is null)
            {
                script = state.Script(request.Model);
                invalid = ScriptRejection(context, wire, request, script);
            }

            if (invalid is not null)
            {
                entry.BehaviorName = "invalid_request";
                await wire.WriteInvalidRequestAsync(context, invalid, cancellationToken).ConfigureAwait(false);
                return;
            }

            (behavior, rateLimits, _) = Choose(wire, request, script!, entry);
        }

        await PerformAsync(context, wire, request, behavior, rateLimits, script, entry, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The message Anthropic rejects a prefill ending in white space with; <see langword="null"/> otherwise.</summary>
    private static string? TrailingWhitespacePrefill(ChatWire wire, ChatRequestSummary request) =>
        wire.Format == WireFormat.Anthropic && request.Continuation == ContinuationKind.Prefill
            && request.PartialAnswer.Length > 0 && char.IsWhiteSpace(request.PartialAnswer[^1])
            ? "messages: final assistant content cannot end with trailing whitespace"
            : null;

    /// <summary>The message a model's script rejects the request's kind of continuation with; <see langword="null"/> when it takes it.</summary>
    private static string? ScriptRejection(HttpContext context, ChatWire wire, ChatRequestSummary request, ModelScript script)
    {
        if (wire.Format == WireFormat.Anthropic && request.Continuation == ContinuationKind.Prefill && script.RejectsPrefill)
        {
            return PrefillNotSupported;
        }

        if (request.Continuation == ContinuationKind.Prefix && script.PrefixNeedsBeta
            && !(context.Request.Path.Value ?? string.Empty).StartsWith("/beta/", StringComparison.Ordinal))
        {
            return "prefix is only available when using beta api (set base_url=\"https://api.deepseek.com/beta\")";
        }

        return null;
    }

    /// <summary>The behaviour of this request: a context-length error past the model's window, otherwise the script's next.</summary>
    private ScriptDecision Choose(ChatWire wire, ChatRequestSummary request, ModelScript script, RequestLog.Entry entry)
    {
        if (script.ContextWindow is { } window && request.PromptTokens > window)
        {
            return new ScriptDecision(SimulatedBehavior.ContextLengthExceeded(), script.PeekRateLimits());
        }

        var echo = script.EchoesPrefix;
        var decision = script.Next(request.LastUserMessage, next => TokenCost(wire, request, next, entry.Sequence, echo));
        entry.ReportedModel = decision.ReportedModel;
        return decision;
    }

    /// <summary>Acts the behaviour out: rate-limit headers, then an error, a hang, a reset or a reply (whole or streamed).</summary>
    private async Task PerformAsync(HttpContext context, ChatWire wire, ChatRequestSummary request, SimulatedBehavior behavior, RateLimitStatus? rateLimits, ModelScript? script, RequestLog.Entry entry, CancellationToken cancellationToken)
    {
        entry.BehaviorName = behavior.Name;
        if (rateLimits is not null)
        {
            wire.WriteRateLimitHeaders(context.Response.Headers, rateLimits);
        }

        var pacer = new TokenPacer(script?.Latency ?? state.Options.DefaultLatency, state.Options.Seed, entry.Sequence);
        entry.Slow = pacer.Slow;
        switch (behavior.Kind)
        {
            case BehaviorKind.RateLimited or BehaviorKind.ServerError or BehaviorKind.RefusalError
                or BehaviorKind.ContextLengthExceeded or BehaviorKind.BadRequest or BehaviorKind.Unauthorized or BehaviorKind.UnauthorizedEcho:
                await pacer.FirstTokenAsync(cancellationToken).ConfigureAwait(false);
                var contextWindow = script?.ContextWindow ?? wire.DefaultContextWindow;
                var promptTokens = request.PromptTokens > contextWindow ? request.PromptTokens : contextWindow + request.PromptTokens;
                await wire.WriteErrorAsync(context, new SimulatedError(behavior, request.Model, promptTokens, contextWindow, rateLimits, SimulatorState.PresentedKey(context.Request)), cancellationToken).ConfigureAwait(false);
                return;
            case BehaviorKind.Hang:
                entry.Dropped = true;
                await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
                return;
            case BehaviorKind.ConnectionReset:
                entry.Dropped = true;
                context.Abort();
                return;
            case BehaviorKind.Endless:
                await EndlessBody.WriteAsync(context, request.Stream, cancellationToken).ConfigureAwait(false);
                return;
            default:
                var plan = BuildPlan(wire, request, behavior, entry.Sequence, script?.EchoesPrefix ?? false, script?.OutputBillFactor ?? 1.0, entry.ReportedModel);
                if (request.Stream)
                {
                    await StreamAsync(context, wire, plan, behavior, pacer, entry, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await ReplyAsync(context, wire, plan, behavior, pacer, cancellationToken).ConfigureAwait(false);
                }

                return;
        }
    }

    /// <summary>
    /// What a request charges a tokens bucket: the estimated prompt plus the most it may generate, as providers
    /// estimate before generating (the reply's own length when the request sets no maximum).
    /// </summary>
    private long TokenCost(ChatWire wire, ChatRequestSummary request, SimulatedBehavior behavior, int sequence, bool echoPrefix)
    {
        var output = request.MaxTokens is { } max && max >= 0 ? max : BuildPlan(wire, request, behavior, sequence, echoPrefix).CompletionTokens;
        return (long)request.PromptTokens + output;
    }

    private ReplyPlan BuildPlan(ChatWire wire, ChatRequestSummary request, SimulatedBehavior behavior, int sequence, bool echoPrefix, double outputBillFactor = 1.0, string? reportedModel = null)
    {
        var composer = state.Composer;
        var tokens = behavior.Kind switch
        {
            BehaviorKind.ToolCall or BehaviorKind.ToolCallDropAfter or BehaviorKind.ContentFilter => [],
            BehaviorKind.RefusalText => ReplyComposer.Tokens(ReplyComposer.RefusalSentence),
            BehaviorKind.Reply => ReplyComposer.Tokens(behavior.Text!),
            _ => composer.ReplyTokens(request, echoPrefix),
        };
        var finish = behavior.Kind switch
        {
            BehaviorKind.ToolCall or BehaviorKind.ToolCallDropAfter => ReplyFinish.ToolCalls,
            BehaviorKind.ContentFilter or BehaviorKind.ContentFilterAfter => ReplyFinish.ContentFilter,
            _ => ReplyFinish.Stop,
        };
        if (behavior.Kind == BehaviorKind.ContentFilterAfter && behavior.Tokens < tokens.Count)
        {
            tokens = tokens.GetRange(0, behavior.Tokens);
        }

        if (request.MaxTokens is { } max && max >= 0 && max < tokens.Count)
        {
            tokens = tokens.GetRange(0, max);
            finish = ReplyFinish.Length;
        }

        var seed = composer.Seed.ToString(CultureInfo.InvariantCulture);
        return new ReplyPlan
        {
            Id = wire.IdPrefix + StableHash.ToId(StableHash.Of(seed, "response", request.Model, sequence.ToString(CultureInfo.InvariantCulture)), 24),
            Model = reportedModel ?? request.Model,
            Created = state.TimeProvider.GetUtcNow().ToUnixTimeSeconds(),
            Tokens = tokens,
            Finish = finish,
            IsRefusal = behavior.Kind == BehaviorKind.RefusalText,
            ToolCallId = behavior.FunctionName is { } name ? composer.ToolCallId(request, name, wire.ToolCallIdPrefix, 24) : null,
            ToolName = behavior.FunctionName,
            ToolArgumentsJson = behavior.ArgumentsJson,
            PromptTokens = request.PromptTokens,
            IncludeUsage = request.IncludeUsage,
            OutputBillFactor = outputBillFactor,
        };
    }

    private static async Task ReplyAsync(HttpContext context, ChatWire wire, ReplyPlan plan, SimulatedBehavior behavior, TokenPacer pacer, CancellationToken cancellationToken)
    {
        await pacer.WholeReplyAsync(plan.Tokens.Count, cancellationToken).ConfigureAwait(false);
        if (behavior.Kind == BehaviorKind.Stall)
        {
            await Task.Delay(behavior.Duration ?? Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);
        }

        var text = behavior.Kind == BehaviorKind.MalformedJson ? wire.MalformedBody(plan) : wire.BuildResponse(plan).ToJsonString(WireJson.Options);
        var bytes = Encoding.UTF8.GetBytes(text);
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json";
        switch (behavior.Kind)
        {
            case BehaviorKind.DropAfter or BehaviorKind.ToolCallDropAfter:
                // Promise the whole body, send half of it, then cut the connection.
                response.ContentLength = bytes.Length;
                await response.Body.WriteAsync(bytes.AsMemory(0, bytes.Length / 2), cancellationToken).ConfigureAwait(false);
                await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
                await DropConnectionAsync(context, cancellationToken).ConfigureAwait(false);
                return;
            case BehaviorKind.TruncateAfter:
                // A complete, well-framed HTTP response whose JSON simply stops.
                response.ContentLength = bytes.Length / 2;
                await response.Body.WriteAsync(bytes.AsMemory(0, bytes.Length / 2), cancellationToken).ConfigureAwait(false);
                return;
            default:
                response.ContentLength = bytes.Length;
                await response.Body.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
                return;
        }
    }

    private static async Task StreamAsync(HttpContext context, ChatWire wire, ReplyPlan plan, SimulatedBehavior behavior, TokenPacer pacer, RequestLog.Entry entry, CancellationToken cancellationToken)
    {
        await pacer.FirstTokenAsync(cancellationToken).ConfigureAwait(false);
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        await response.StartAsync(cancellationToken).ConfigureAwait(false);
        var stream = wire.CreateStream(response, plan);
        await stream.StartAsync(cancellationToken).ConfigureAwait(false);
        if (behavior.Kind == BehaviorKind.MalformedJson)
        {
            await stream.WriteMalformedAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        if (plan.ToolName is not null)
        {
            await StreamToolCallAsync(context, stream, behavior, cancellationToken).ConfigureAwait(false);
            return;
        }

        var stalled = false;
        for (var i = 0; i <= plan.Tokens.Count; i++)
        {
            if (stream.TokensSent == behavior.Tokens || (i == plan.Tokens.Count && stream.TokensSent < behavior.Tokens))
            {
                switch (behavior.Kind)
                {
                    case BehaviorKind.DropAfter:
                        await DropConnectionAsync(context, cancellationToken).ConfigureAwait(false);
                        return;
                    case BehaviorKind.TruncateAfter:
                        return;
                    case BehaviorKind.Stall when !stalled:
                        stalled = true;
                        await Task.Delay(behavior.Duration ?? Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);
                        break;
                    default:
                        break;
                }
            }

            if (i == plan.Tokens.Count)
            {
                break;
            }

            if (i > 0)
            {
                await pacer.NextTokenAsync(cancellationToken).ConfigureAwait(false);
            }

            await stream.WriteTokenAsync(plan.Tokens[i], cancellationToken).ConfigureAwait(false);
            entry.TokensSent = stream.TokensSent;
        }

        await stream.FinishAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task StreamToolCallAsync(HttpContext context, ChatEventStream stream, SimulatedBehavior behavior, CancellationToken cancellationToken)
    {
        if (behavior.Kind == BehaviorKind.ToolCallDropAfter)
        {
            await stream.WriteToolCallAsync(behavior.Tokens, cancellationToken).ConfigureAwait(false);
            await DropConnectionAsync(context, cancellationToken).ConfigureAwait(false);
            return;
        }

        await stream.WriteToolCallAsync(int.MaxValue, cancellationToken).ConfigureAwait(false);
        await stream.FinishAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Aborts the connection after what was flushed had time to leave: Kestrel discards output still queued in
    /// its transport when aborted, and the client must see the bytes sent before the drop.
    /// </summary>
    private static async Task DropConnectionAsync(HttpContext context, CancellationToken cancellationToken)
    {
        await Task.Delay(DrainDelay, cancellationToken).ConfigureAwait(false);
        context.Abort();
    }

    private static readonly TimeSpan DrainDelay = TimeSpan.FromMilliseconds(30);

    /// <summary>The message of Anthropic's 400 to a prefill sent to a model that does not support it (Claude 4.6 and later).</summary>
    internal const string PrefillNotSupported = "This model does not support assistant message prefill. The conversation must end with a user message.";
}
