using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using SkFallback.Simulator.Content;
using SkFallback.Simulator.Admin;
using SkFallback.Simulator.Anthropic;
using SkFallback.Simulator.OpenAI;

namespace SkFallback.Simulator.Server;

/// <summary>The single terminal middleware: picks the wire by path and hands the request on.</summary>
internal sealed class SimulatorRouter(SimulatorState state)
{
    private readonly ChatRequestHandler _chat = new(state);
    private readonly ModelsEndpoint _models = new(state);
    private readonly AdminEndpoints _admin = new(state);
    private readonly OpenAIWire _openAI = new();
    private readonly AnthropicWire _anthropic = new(state.TimeProvider);

    public Task HandleAsync(HttpContext context)
    {
        var path = (context.Request.Path.Value ?? string.Empty).TrimEnd('/');
        var method = context.Request.Method;
        if (path.StartsWith(AdminEndpoints.Prefix, StringComparison.Ordinal))
        {
            return _admin.HandleAsync(context);
        }

        if (HttpMethods.IsPost(method) && path is "/v1/chat/completions" or "/chat/completions" or "/beta/chat/completions")
        {
            return _chat.HandleAsync(context, _openAI);
        }

        if (HttpMethods.IsPost(method) && path == "/v1/messages")
        {
            return _chat.HandleAsync(context, _anthropic);
        }

        if (HttpMethods.IsGet(method) && path is "/v1/models" or "/models")
        {
            return state.IsAuthorized(context.Request)
                ? _models.HandleAsync(context)
                : WriteUnauthorizedAsync(context);
        }

        return WriteNotFoundAsync(context, method, path);
    }

    private Task WriteUnauthorizedAsync(HttpContext context) =>
        (context.Request.Headers.ContainsKey("anthropic-version") ? (Server.ChatWire)_anthropic : _openAI).WriteErrorAsync(
            context,
            new SimulatedError(SimulatedBehavior.Unauthorized(), string.Empty, 0, 0),
            context.RequestAborted);

    private static Task WriteNotFoundAsync(HttpContext context, string method, string path)
    {
        var message = $"Unknown request URL: {method} {path}.";
        JsonObject body = context.Request.Headers.ContainsKey("anthropic-version")
            ? new JsonObject { ["type"] = "error", ["error"] = new JsonObject { ["type"] = "not_found_error", ["message"] = message } }
            : new JsonObject { ["error"] = new JsonObject { ["message"] = message, ["type"] = "invalid_request_error", ["param"] = null, ["code"] = "unknown_url" } };
        context.Response.StatusCode = StatusCodes.Status404NotFound;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(body.ToJsonString(WireJson.Options), context.RequestAborted);
    }
}
