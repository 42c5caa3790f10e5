using System.Text.Json;
using Microsoft.Extensions.AI;
using SkFallback.Proxy.Wire;
using static SkFallback.Proxy.Wire.JsonFields;

namespace SkFallback.Proxy.OpenAI;

/// <summary>
/// Reads an OpenAI <c>POST /v1/chat/completions</c> body into a <see cref="GatewayChatRequest"/>. Every problem is a 400
/// naming the parameter, as the OpenAI API names it (<c>messages[2].tool_calls[0].function.arguments</c>); parameters
/// the gateway cannot honour (<c>n</c> &gt; 1, logprobs, audio, ...) are refused rather than ignored. Messages are read
/// by <see cref="OpenAIMessageReader"/>, tools by <see cref="OpenAIToolReader"/>; here the parameters and options.
/// </summary>
internal static class OpenAIRequestReader
{
    /// <summary>Parameters accepted and used.</summary>
    private static readonly HashSet<string> Known = new(StringComparer.Ordinal)
    {
        "model", "messages", "stream", "stream_options", "temperature", "top_p", "max_tokens", "max_completion_tokens",
        "stop", "seed", "user", "metadata", "n", "tools", "tool_choice", "parallel_tool_calls", "response_format",
        "frequency_penalty", "presence_penalty", "logprobs", "top_logprobs", "logit_bias", "modalities",
        // Accepted and ignored: they do not change what the answer looks like.
        "store", "service_tier", "prompt_cache_key", "safety_identifier",
        // Refused when set (below), named so the message says why.
        "audio", "prediction", "web_search_options", "functions", "function_call", "reasoning_effort", "verbosity",
    };

    /// <summary>Reads the request.</summary>
    /// <param name="root">The body.</param>
    /// <returns>The request.</returns>
    /// <exception cref="GatewayException">A 400 naming the parameter.</exception>
    public static GatewayChatRequest Read(JsonElement root)
    {
        foreach (var property in root.EnumerateObject())
        {
            if (!Known.Contains(property.Name))
            {
                throw new GatewayException(GatewayError.Invalid(property.Name, $"Unrecognized request argument supplied: {property.Name}", "unknown_parameter"));
            }
        }

        var model = RequiredString(root, "model", "model");
        if (model.Length == 0)
        {
            throw new GatewayException(GatewayError.Invalid("model", "Invalid 'model': empty string. You must provide a model parameter.", "invalid_value"));
        }

        RefuseUnsupported(root);
        var messages = OpenAIMessageReader.ReadMessages(root);
        var options = new ChatOptions
        {
            Temperature = (float?)Number(root, "temperature", "temperature", 0, 2),
            TopP = (float?)Number(root, "top_p", "top_p", 0, 1),
            FrequencyPenalty = (float?)Number(root, "frequency_penalty", "frequency_penalty", -2, 2),
            PresencePenalty = (float?)Number(root, "presence_penalty", "presence_penalty", -2, 2),
            Seed = Integer(root, "seed", "seed", long.MinValue, long.MaxValue),
            MaxOutputTokens = (int?)(Integer(root, "max_completion_tokens", "max_completion_tokens", 1, int.MaxValue)
                ?? Integer(root, "max_tokens", "max_tokens", 1, int.MaxValue)),
            StopSequences = ReadStop(root),
            AllowMultipleToolCalls = Bool(root, "parallel_tool_calls", "parallel_tool_calls"),
            ResponseFormat = ReadResponseFormat(root),
        };

        OpenAIToolReader.ReadTools(root, options);
        ReadMetadata(root, options);
        var stream = Bool(root, "stream", "stream") ?? false;
        var includeUsage = false;
        if (Object(root, "stream_options", "stream_options") is { } streamOptions)
        {
            if (!stream)
            {
                throw new GatewayException(GatewayError.Invalid("stream_options", "The 'stream_options' parameter is only allowed when 'stream' is enabled.", "invalid_value"));
            }

            includeUsage = Bool(streamOptions, "include_usage", "stream_options.include_usage") ?? false;
        }

        return new GatewayChatRequest(model, messages, options, stream, includeUsage);
    }

    private static void RefuseUnsupported(JsonElement root)
    {
        if (Integer(root, "n", "n", 1, 128) is > 1)
        {
            throw Unsupported("n", "Invalid 'n': the gateway returns one choice per request (n = 1); send n > 1 as separate requests.");
        }

        if (Bool(root, "logprobs", "logprobs") == true)
        {
            throw Unsupported("logprobs", "Unsupported parameter: 'logprobs' is not served by the gateway (its providers differ).");
        }

        if (TryGet(root, "top_logprobs", out _))
        {
            throw Unsupported("top_logprobs", "Unsupported parameter: 'top_logprobs' is not served by the gateway.");
        }

        if (Object(root, "logit_bias", "logit_bias") is { } bias && bias.EnumerateObject().Any())
        {
            throw Unsupported("logit_bias", "Unsupported parameter: 'logit_bias' is not served by the gateway (token ids differ between providers).");
        }

        if (Array(root, "modalities", "modalities") is { } modalities)
        {
            foreach (var modality in modalities.EnumerateArray())
            {
                if (modality.ValueKind != JsonValueKind.String || modality.GetString() != "text")
                {
                    throw Unsupported("modalities", "Unsupported value for 'modalities': the gateway serves text only.");
                }
            }
        }

        foreach (var name in new[] { "audio", "prediction", "web_search_options", "functions", "function_call", "reasoning_effort", "verbosity" })
        {
            if (TryGet(root, name, out _))
            {
                throw Unsupported(name, name is "functions" or "function_call"
                    ? $"Unsupported parameter: '{name}' is deprecated; use 'tools' and 'tool_choice'."
                    : $"Unsupported parameter: '{name}' is not served by the gateway.");
            }
        }
    }

    private static List<string>? ReadStop(JsonElement root)
    {
        if (!TryGet(root, "stop", out var stop))
        {
            return null;
        }

        if (stop.ValueKind == JsonValueKind.String)
        {
            return [stop.GetString()!];
        }

        if (stop.ValueKind != JsonValueKind.Array)
        {
            throw WrongType("stop", "a string or an array of strings", stop);
        }

        var list = new List<string>();
        foreach (var item in stop.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                throw WrongType($"stop[{list.Count}]", "a string", item);
            }

            list.Add(item.GetString()!);
        }

        if (list.Count > 4)
        {
            throw new GatewayException(GatewayError.Invalid("stop", $"Invalid 'stop': array too long. Expected an array with maximum length 4, but got an array with length {list.Count} instead.", "array_above_max_length"));
        }

        return list;
    }

    private static ChatResponseFormat? ReadResponseFormat(JsonElement root)
    {
        if (Object(root, "response_format", "response_format") is not { } format)
        {
            return null;
        }

        var type = RequiredString(format, "type", "response_format.type");
        switch (type)
        {
            case "text":
                return ChatResponseFormat.Text;
            case "json_object":
                return ChatResponseFormat.Json;
            case "json_schema":
                var schema = Object(format, "json_schema", "response_format.json_schema")
                    ?? throw new GatewayException(GatewayError.Invalid("response_format.json_schema", "Missing required parameter: 'response_format.json_schema'.", "missing_required_parameter"));
                var name = RequiredString(schema, "name", "response_format.json_schema.name");
                var body = Object(schema, "schema", "response_format.json_schema.schema");
                return ChatResponseFormat.ForJsonSchema(
                    body?.Clone() ?? JsonDocument.Parse("{}").RootElement.Clone(),
                    name,
                    String(schema, "description", "response_format.json_schema.description"));
            default:
                throw new GatewayException(GatewayError.Invalid("response_format.type", $"Invalid value: '{type}'. Supported values are: 'text', 'json_object' and 'json_schema'.", "invalid_value"));
        }
    }

    private static void ReadMetadata(JsonElement root, ChatOptions options)
    {
        var user = String(root, "user", "user");
        var metadata = Object(root, "metadata", "metadata");
        if (user is null && metadata is null)
        {
            return;
        }

        // 'user' identifies the end user to the provider; the chain has no request key for it, so it is checked and not forwarded.
        if (metadata is { } values)
        {
            var count = 0;
            foreach (var entry in values.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.String)
                {
                    throw WrongType($"metadata.{entry.Name}", "a string", entry.Value);
                }

                if (++count > 16)
                {
                    throw new GatewayException(GatewayError.Invalid("metadata", "Invalid 'metadata': at most 16 entries.", "invalid_value"));
                }

                RequestKeys.ApplyMetadata(options, entry.Name, entry.Value.GetString()!);
            }
        }
    }
}
