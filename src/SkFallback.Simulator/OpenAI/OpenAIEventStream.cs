using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using SkFallback.Simulator.Content;
using SkFallback.Simulator.Server;

namespace SkFallback.Simulator.OpenAI;

/// <summary>OpenAI <c>chat.completion.chunk</c> events ending in <c>data: [DONE]</c>.</summary>
internal sealed class OpenAIEventStream(HttpResponse response, ReplyPlan plan) : ChatEventStream(response, plan)
{
    public override Task StartAsync(CancellationToken cancellationToken) =>
        WriteChunkAsync(new JsonObject { ["role"] = "assistant", ["content"] = string.Empty, ["refusal"] = null }, null, cancellationToken);

    public override async Task WriteTokenAsync(string token, CancellationToken cancellationToken)
    {
        var delta = new JsonObject { ["content"] = token };
        if (Plan.IsRefusal)
        {
            delta["refusal"] = token;
        }

        await WriteChunkAsync(delta, null, cancellationToken).ConfigureAwait(false);
        TokensSent++;
    }

    public override async Task WriteToolCallAsync(int maxFragments, CancellationToken cancellationToken)
    {
        var opening = new JsonObject
        {
            ["index"] = 0,
            ["id"] = Plan.ToolCallId,
            ["type"] = "function",
            ["function"] = new JsonObject { ["name"] = Plan.ToolName, ["arguments"] = string.Empty },
        };
        await WriteChunkAsync(new JsonObject { ["tool_calls"] = new JsonArray(opening) }, null, cancellationToken).ConfigureAwait(false);
        foreach (var fragment in ArgumentFragments(Plan.ToolArgumentsJson ?? "{}"))
        {
            if (maxFragments-- <= 0)
            {
                return;
            }

            var part = new JsonObject { ["index"] = 0, ["function"] = new JsonObject { ["arguments"] = fragment } };
            await WriteChunkAsync(new JsonObject { ["tool_calls"] = new JsonArray(part) }, null, cancellationToken).ConfigureAwait(false);
        }
    }

    public override async Task FinishAsync(CancellationToken cancellationToken)
    {
        await WriteChunkAsync(new JsonObject(), OpenAIWire.FinishReason(Plan.Finish), cancellationToken).ConfigureAwait(false);
        if (Plan.IncludeUsage)
        {
            var completion = Plan.ToolName is null ? TokensSent : Plan.CompletionTokens;
            var chunk = Envelope();
            chunk["choices"] = new JsonArray();
            chunk["usage"] = OpenAIWire.Usage(Plan.PromptTokens, Plan.Billed(completion));
            await WriteEventAsync(null, chunk.ToJsonString(WireJson.Options), cancellationToken).ConfigureAwait(false);
        }

        await WriteEventAsync(null, "[DONE]", cancellationToken).ConfigureAwait(false);
    }

    public override Task WriteMalformedAsync(CancellationToken cancellationToken) =>
        WriteEventAsync(null, $"{{\"id\":\"{Plan.Id}\",\"object\":\"chat.completion.chunk\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":<<not json>>", cancellationToken);

    private Task WriteChunkAsync(JsonObject delta, string? finishReason, CancellationToken cancellationToken)
    {
        var chunk = Envelope();
        chunk["choices"] = new JsonArray(new JsonObject
        {
            ["index"] = 0,
            ["delta"] = delta,
            ["logprobs"] = null,
            ["finish_reason"] = finishReason,
        });
        if (Plan.IncludeUsage)
        {
            chunk["usage"] = null;
        }

        return WriteEventAsync(null, chunk.ToJsonString(WireJson.Options), cancellationToken);
    }

    private JsonObject Envelope() => new()
    {
        ["id"] = Plan.Id,
        ["object"] = "chat.completion.chunk",
        ["created"] = Plan.Created,
        ["model"] = Plan.Model,
        ["service_tier"] = "default",
        ["system_fingerprint"] = "fp_simulator",
    };
}
