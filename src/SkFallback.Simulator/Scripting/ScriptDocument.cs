using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SkFallback.Simulator.Content;

namespace SkFallback.Simulator.Scripting;

/// <summary>
/// Reads scripts written as JSON (admin endpoint and CLI file):
/// <c>{"then":[{"kind":"rate_limited","retryAfterSeconds":2,"times":1}],"always":{"kind":"ok"},
/// "latency":{"ttftMs":200,"tokensPerSecond":40,"jitter":0.2,"slowFraction":0.05,"slowTtftMs":3000},"contextWindow":8000,
/// "rateLimits":{"requestsPerMinute":60,"tokensPerMinute":10000,"remainingTokens":500,"remainingRequests":60}}</c>
/// (the two <c>remaining</c> levels are optional; the buckets start full), and <c>"echoPrefix":true</c> for
/// Mistral-style prefix completions (<see cref="ModelScript.EchoPrefix"/>), <c>"prefixOnlyOnBeta":true</c> for
/// DeepSeek's (<see cref="ModelScript.PrefixOnlyOnBeta"/>), <c>"rejectPrefill":true</c> for Anthropic models that
/// reject assistant prefill (<see cref="ModelScript.RejectPrefill"/>), <c>"billOutputFactor":2.5</c> for a provider
/// that bills more output tokens than it sent (<see cref="ModelScript.BillOutputTokens"/>); <c>"answers":{"prompt":"text"}</c>
/// for known prompts (<see cref="ModelScript.Answer(string, SimulatedBehavior)"/>; a value may be a behaviour object),
/// <c>"version":"id"</c> for the reported model id, and <c>"drift":{"afterRequests":n,"version":"id","answers":{...}}</c>
/// for a version switch (<see cref="ModelScript.DriftAfter(int, string, IReadOnlyDictionary{string, SimulatedBehavior})"/>),
/// <c>"faultMix":{"requests":800,"seed":13,"serverErrorShare":0.3,"dropShare":0.05,"stallShare":0.03}</c> to queue a
/// seeded <see cref="FaultMix"/> after <c>then</c>'s steps;
/// a file holds <c>{"models":{"model-id":{...}}}</c>.
/// </summary>
internal static class ScriptDocument
{
    /// <summary>Replaces the script of every model listed in a <c>models</c> document.</summary>
    public static void ApplyModels(JsonNode? document, Func<string, ModelScript> scriptOf)
    {
        if (document?["models"] is not JsonObject models)
        {
            throw new FormatException("A script file must be a JSON object with a \"models\" object mapping model ids to scripts.");
        }

        foreach (var (modelId, script) in models)
        {
            Apply(script, scriptOf(modelId));
        }
    }

    /// <summary>Replaces <paramref name="target"/> with the script in <paramref name="node"/>.</summary>
    public static void Apply(JsonNode? node, ModelScript target)
    {
        if (node is not JsonObject script)
        {
            throw new FormatException($"The script of model '{target.ModelId}' must be a JSON object.");
        }

        var queue = ReadQueue(script);

        var always = script["always"] is { } alwaysNode ? ReadBehavior(alwaysNode) : null;
        var latency = script["latency"] is JsonObject latencyNode ? ReadLatency(latencyNode) : null;
        var window = JsonText.Int(script["contextWindow"]);
        var echoPrefix = Flag(script, "echoPrefix");
        var prefixOnlyOnBeta = Flag(script, "prefixOnlyOnBeta");
        var rejectPrefill = Flag(script, "rejectPrefill");
        var billFactor = script["billOutputFactor"] switch
        {
            null => 1.0,
            JsonValue value when value.TryGetValue<double>(out var factor) && factor is >= 1.0 and <= 100.0 => factor,
            _ => throw new FormatException("\"billOutputFactor\" must be a number from 1 to 100."),
        };
        var answers = script["answers"] is { } answersNode ? ReadAnswers(answersNode, "answers") : null;
        var version = script["version"] is { } versionNode ? JsonText.String(versionNode) ?? throw new FormatException("\"version\" must be a string.") : null;
        var drift = script["drift"] is { } driftNode ? ReadDrift(driftNode) : null;
        var rateLimits = script["rateLimits"] switch
        {
            null => ((int, int, int?, int?)?)null,
            JsonObject limitsNode => ReadRateLimits(limitsNode),
            _ => throw new FormatException("\"rateLimits\" must be an object {\"requestsPerMinute\":n,\"tokensPerMinute\":n}."),
        };

        target.Clear();
        foreach (var (behavior, times) in queue)
        {
            target.Then(behavior, times);
        }

        if (always is not null)
        {
            target.Always(always);
        }

        if (latency is not null)
        {
            target.WithLatency(latency);
        }

        target.EchoPrefix(echoPrefix);
        target.PrefixOnlyOnBeta(prefixOnlyOnBeta);
        target.RejectPrefill(rejectPrefill);
        target.BillOutputTokens(billFactor);
        if (window is { } tokens)
        {
            target.WithContextWindow(tokens);
        }

        foreach (var (prompt, answer) in answers ?? [])
        {
            target.Answer(prompt, answer);
        }

        if (version is not null)
        {
            target.WithVersion(version);
        }

        if (drift is { } scripted)
        {
            target.DriftAfter(scripted.AfterRequests, scripted.Version, scripted.Answers);
        }

        if (rateLimits is { } limits)
        {
            var (requestsPerMinute, tokensPerMinute, remainingTokens, remainingRequests) = limits;
            target.WithRateLimits(requestsPerMinute, tokensPerMinute);
            if (remainingTokens is { } tokensLeft)
            {
                target.WithRemainingTokens(tokensLeft);
            }

            if (remainingRequests is { } requestsLeft)
            {
                target.WithRemainingRequests(requestsLeft);
            }
        }
    }

    private static List<(SimulatedBehavior Behavior, int Times)> ReadQueue(JsonObject script)
    {
        var queue = new List<(SimulatedBehavior, int)>();
        if (script["then"] is JsonArray then)
        {
            foreach (var step in then)
            {
                queue.Add((ReadBehavior(step), JsonText.Int(step?["times"]) ?? 1));
            }
        }
        else if (script["then"] is not null)
        {
            throw new FormatException("\"then\" must be an array of behaviours.");
        }

        switch (script["faultMix"])
        {
            case null:
                break;
            case JsonObject mix:
                foreach (var behavior in ReadFaultMix(mix))
                {
                    queue.Add((behavior, 1));
                }

                break;
            default:
                throw new FormatException("\"faultMix\" must be an object {\"requests\":n,\"seed\":n,\"serverErrorShare\":0.3,\"dropShare\":0.05,\"stallShare\":0.03}.");
        }

        return queue;
    }

    /// <summary>Reads <c>{"prompt":"answer text"}</c> or <c>{"prompt":{behaviour}}</c> (a tool call, say).</summary>
    private static Dictionary<string, SimulatedBehavior> ReadAnswers(JsonNode node, string key)
    {
        if (node is not JsonObject answers)
        {
            throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"\"{key}\" must be an object mapping prompts to answer texts or behaviours."));
        }

        var read = new Dictionary<string, SimulatedBehavior>(StringComparer.Ordinal);
        foreach (var (prompt, answer) in answers)
        {
            read[prompt] = answer is JsonObject ? ReadBehavior(answer) : JsonText.String(answer) is { Length: > 0 } text
                ? SimulatedBehavior.Reply(text)
                : throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"\"{key}\" of prompt '{prompt}' must be a non-empty string or a behaviour object."));
        }

        return read;
    }

    /// <summary>Reads <c>{"afterRequests":n,"version":"id","answers":{...}}</c>.</summary>
    private static ModelDrift ReadDrift(JsonNode node)
    {
        if (node is not JsonObject drift)
        {
            throw new FormatException("\"drift\" must be an object {\"afterRequests\":n,\"version\":\"model-id\",\"answers\":{...}}.");
        }

        var after = JsonText.Int(drift["afterRequests"]) ?? 0;
        if (after < 0)
        {
            throw new FormatException("\"drift.afterRequests\" must be an integer of 0 or more.");
        }

        var version = JsonText.String(drift["version"]) is { Length: > 0 } v ? v : throw new FormatException("\"drift.version\" must be a non-empty string.");
        var answers = drift["answers"] is { } answersNode ? ReadAnswers(answersNode, "drift.answers") : [];
        return new ModelDrift(after, version, answers);
    }

    /// <summary>Draws a <c>faultMix</c>'s behaviours (queued after <c>then</c>'s).</summary>
    private static IReadOnlyList<SimulatedBehavior> ReadFaultMix(JsonObject mix)
    {
        var requests = JsonText.Int(mix["requests"]) is { } n and >= 1 ? n : throw new FormatException("\"faultMix.requests\" must be an integer of at least 1.");
        try
        {
            return new FaultMix(Number(mix["serverErrorShare"]) ?? 0, Number(mix["dropShare"]) ?? 0, Number(mix["stallShare"]) ?? 0, JsonText.Int(mix["seed"]) ?? 1)
            {
                MaxTokensBeforeFault = JsonText.Int(mix["maxTokensBeforeFault"]) ?? 20,
            }.Draw(requests);
        }
        catch (ArgumentOutOfRangeException exception)
        {
            throw new FormatException("\"faultMix\": " + exception.Message, exception);
        }
    }

    private static LatencyProfile ReadLatency(JsonObject latency) =>
        new(
            TimeSpan.FromMilliseconds(Number(latency["ttftMs"]) ?? 0),
            Number(latency["tokensPerSecond"]) ?? 0,
            Number(latency["jitter"]) ?? 0)
        {
            SlowFraction = Number(latency["slowFraction"]) ?? 0,
            SlowTimeToFirstToken = TimeSpan.FromMilliseconds(Number(latency["slowTtftMs"]) ?? 0),
        };

    /// <summary>Reads and range-checks <c>rateLimits</c> before the script is cleared, so a bad one changes nothing.</summary>
    private static (int RequestsPerMinute, int TokensPerMinute, int? RemainingTokens, int? RemainingRequests) ReadRateLimits(JsonObject limits)
    {
        var requestsPerMinute = Required(limits, "requestsPerMinute", 1, int.MaxValue);
        var tokensPerMinute = Required(limits, "tokensPerMinute", 1, int.MaxValue);
        int? remainingTokens = limits["remainingTokens"] is null ? null : Required(limits, "remainingTokens", 0, tokensPerMinute);
        int? remainingRequests = limits["remainingRequests"] is null ? null : Required(limits, "remainingRequests", 0, requestsPerMinute);
        return (requestsPerMinute, tokensPerMinute, remainingTokens, remainingRequests);

        static int Required(JsonObject limits, string key, int min, int max) =>
            JsonText.Int(limits[key]) is { } value && value >= min && value <= max
                ? value
                : throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"\"rateLimits.{key}\" must be an integer from {min} to {max}."));
    }

    public static SimulatedBehavior ReadBehavior(JsonNode? node)
    {
        if (node is not JsonObject step || JsonText.String(step["kind"]) is not { } kind)
        {
            throw new FormatException("Each behaviour must be a JSON object with a \"kind\" string.");
        }

        var tokens = JsonText.Int(step["tokens"]) ?? JsonText.Int(step["afterTokens"]) ?? 0;
        return kind switch
        {
            "ok" => SimulatedBehavior.Ok(),
            "reply" => SimulatedBehavior.Reply(JsonText.String(step["text"]) ?? throw new FormatException("\"reply\" needs \"text\".")),
            "tool_call" => SimulatedBehavior.ToolCall(
                JsonText.String(step["functionName"]) ?? JsonText.String(step["name"]) ?? throw new FormatException("\"tool_call\" needs \"functionName\"."),
                step["arguments"] switch
                {
                    null => "{}",
                    JsonObject arguments => arguments.ToJsonString(WireJson.Options),
                    var other => JsonText.String(other) ?? throw new FormatException("\"arguments\" must be an object or a JSON string."),
                }),
            "tool_call_drop_after" => SimulatedBehavior.ToolCallDropAfter(
                JsonText.String(step["functionName"]) ?? JsonText.String(step["name"]) ?? throw new FormatException("\"tool_call_drop_after\" needs \"functionName\"."),
                step["arguments"] switch
                {
                    null => "{}",
                    JsonObject arguments => arguments.ToJsonString(WireJson.Options),
                    var other => JsonText.String(other) ?? throw new FormatException("\"arguments\" must be an object or a JSON string."),
                },
                JsonText.Int(step["fragments"]) ?? 0),
            "content_filter_after" => SimulatedBehavior.ContentFilterAfter(tokens),
            "rate_limited" => SimulatedBehavior.RateLimited(
                TimeSpan.FromMilliseconds(Number(step["retryAfterMs"]) ?? ((Number(step["retryAfterSeconds"]) ?? 1) * 1000))),
            "server_error" => SimulatedBehavior.ServerError(JsonText.Int(step["statusCode"]) ?? 500),
            "hang" => SimulatedBehavior.Hang(),
            "connection_reset" => SimulatedBehavior.ConnectionReset(),
            "drop_after" => SimulatedBehavior.DropAfter(tokens),
            "stall" => SimulatedBehavior.Stall(tokens, Number(step["durationMs"]) is { } ms ? TimeSpan.FromMilliseconds(ms) : null),
            "truncate_after" => SimulatedBehavior.TruncateAfter(tokens),
            "malformed_json" => SimulatedBehavior.MalformedJson(),
            "refusal_error" => SimulatedBehavior.RefusalError(),
            "content_filter" => SimulatedBehavior.ContentFilter(),
            "refusal_text" => SimulatedBehavior.RefusalText(),
            "context_length_exceeded" => SimulatedBehavior.ContextLengthExceeded(),
            "bad_request" => SimulatedBehavior.BadRequest(),
            "unauthorized" => SimulatedBehavior.Unauthorized(),
            "unauthorized_echo" => SimulatedBehavior.UnauthorizedEcho(),
            "endless" => SimulatedBehavior.Endless(),
            _ => throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"Unknown behaviour kind '{kind}'.")),
        };
    }

    private static bool Flag(JsonObject script, string key) => script[key] switch
    {
        null => false,
        JsonValue value when value.GetValueKind() is JsonValueKind.True or JsonValueKind.False => JsonText.Bool(value),
        _ => throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"\"{key}\" must be true or false.")),
    };

    private static double? Number(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.Number ? value.GetValue<double>() : null;
}
