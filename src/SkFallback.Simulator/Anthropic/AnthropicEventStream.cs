using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using SkFallback.Simulator.Content;
using SkFallback.Simulator.Server;

namespace SkFallback.Simulator.Anthropic;

/// <summary>Anthropic message events: <c>message_start</c> ... <c>message_stop</c>.</summary>
internal sealed class AnthropicEventStream(HttpResponse response, ReplyPlan plan) : ChatEventStream(response, plan)
{
    private bool _textBlockOpen;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var message = AnthropicWire.MessageEnvelope(Plan, [], null);
        message["usage"] = AnthropicWire.Usage(Plan.PromptTokens, 1);
        await WriteAsync("message_start", new JsonObject { ["type"] = "message_start", ["message"] = message }, cancellationToken).ConfigureAwait(false);
        if (Plan.ToolName is null && Plan.Tokens.Count > 0)
        {
            var block = new JsonObject { ["type"] = "text", ["text"] = string.Empty };
            await WriteAsync("content_block_start", new JsonObject { ["type"] = "content_block_start", ["index"] = 0, ["content_block"] = block }, cancellationToken).ConfigureAwait(false);
            _textBlockOpen = true;
        }

        await WriteAsync("ping", new JsonObject { ["type"] = "ping" }, cancellationToken).ConfigureAwait(false);
    }

    public override async Task WriteTokenAsync(string token, CancellationToken cancellationToken)
    {
        var delta = new JsonObject { ["type"] = "text_delta", ["text"] = token };
        await WriteAsync("content_block_delta", new JsonObject { ["type"] = "content_block_delta", ["index"] = 0, ["delta"] = delta }, cancellationToken).ConfigureAwait(false);
        TokensSent++;
    }

    public override async Task WriteToolCallAsync(int maxFragments, CancellationToken cancellationToken)
    {
        var block = AnthropicWire.ToolUseBlock(Plan, new JsonObject());
        await WriteAsync("content_block_start", new JsonObject { ["type"] = "content_block_start", ["index"] = 0, ["content_block"] = block }, cancellationToken).ConfigureAwait(false);
        foreach (var fragment in ArgumentFragments(Plan.ToolArgumentsJson ?? "{}"))
        {
            if (maxFragments-- <= 0)
            {
                return;
            }

            var delta = new JsonObject { ["type"] = "input_json_delta", ["partial_json"] = fragment };
            await WriteAsync("content_block_delta", new JsonObject { ["type"] = "content_block_delta", ["index"] = 0, ["delta"] = delta }, cancellationToken).ConfigureAwait(false);
        }

        await WriteAsync("content_block_stop", new JsonObject { ["type"] = "content_block_stop", ["index"] = 0 }, cancellationToken).ConfigureAwait(false);
    }

    public override async Task FinishAsync(CancellationToken cancellationToken)
    {
        if (_textBlockOpen)
        {
            await WriteAsync("content_block_stop", new JsonObject { ["type"] = "content_block_stop", ["index"] = 0 }, cancellationToken).ConfigureAwait(false);
        }

        var output = Plan.ToolName is null ? TokensSent : Plan.CompletionTokens;
        var messageDelta = new JsonObject
        {
            ["type"] = "message_delta",
            ["delta"] = new JsonObject { ["stop_reason"] = AnthropicWire.StopReason(Plan.Finish), ["stop_sequence"] = null },
            ["usage"] = new JsonObject { ["input_tokens"] = Plan.PromptTokens, ["output_tokens"] = Plan.Billed(output) },
        };
        await WriteAsync("message_delta", messageDelta, cancellationToken).ConfigureAwait(false);
        await WriteAsync("message_stop", new JsonObject { ["type"] = "message_stop" }, cancellationToken).ConfigureAwait(false);
    }

    public override Task WriteMalformedAsync(CancellationToken cancellationToken) =>
        WriteEventAsync("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":<<not json>>", cancellationToken);

    private Task WriteAsync(string eventName, JsonObject data, CancellationToken cancellationToken) =>
        WriteEventAsync(eventName, data.ToJsonString(WireJson.Options), cancellationToken);
}
