using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using SkFallback.Simulator.Content;
using SkFallback.Simulator.Scripting;
using SkFallback.Simulator.Server;

namespace SkFallback.Simulator.Admin;

/// <summary>
/// The <c>/_sim/</c> endpoints for the CLI and notebooks: <c>POST /_sim/models/{model}/script</c> (replaces that
/// model's script), <c>GET /_sim/requests</c>, <c>POST /_sim/reset</c>.
/// </summary>
internal sealed class AdminEndpoints(SimulatorState state)
{
    public const string Prefix = "/_sim/";

    public async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? string.Empty;
        var method = context.Request.Method;
        var cancellationToken = context.RequestAborted;
        if (HttpMethods.IsGet(method) && path == "/_sim/requests")
        {
            var list = new JsonArray();
            foreach (var request in state.Log.Snapshot())
            {
                list.Add(ToJson(request));
            }

            await WriteJsonAsync(context, 200, list, cancellationToken).ConfigureAwait(false);
        }
        else if (HttpMethods.IsPost(method) && path == "/_sim/reset")
        {
            state.Reset();
            await WriteJsonAsync(context, 200, new JsonObject { ["reset"] = true }, cancellationToken).ConfigureAwait(false);
        }
        else if (HttpMethods.IsPost(method) && path.StartsWith("/_sim/models/", StringComparison.Ordinal) && path.EndsWith("/script", StringComparison.Ordinal))
        {
            var model = Uri.UnescapeDataString(path["/_sim/models/".Length..^"/script".Length]);
            try
            {
                var body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: cancellationToken).ConfigureAwait(false);
                ScriptDocument.Apply(body, state.Script(model));
                await WriteJsonAsync(context, 200, new JsonObject { ["model"] = model }, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is JsonException or FormatException or ArgumentException)
            {
                await WriteJsonAsync(context, 400, new JsonObject { ["error"] = exception.Message }, cancellationToken).ConfigureAwait(false);
            }
        }
        else
        {
            await WriteJsonAsync(context, 404, new JsonObject { ["error"] = $"Unknown simulator admin endpoint {method} {path}." }, cancellationToken).ConfigureAwait(false);
        }
    }

    internal static JsonObject ToJson(RecordedRequest request) => new()
    {
        ["sequence"] = request.Sequence,
        ["timestamp"] = request.Timestamp,
        ["wire"] = request.Wire.ToString(),
        ["model"] = request.Model,
        ["stream"] = request.Stream,
        ["behavior"] = request.BehaviorName,
        ["statusCode"] = request.StatusCode,
        ["lastUserMessage"] = request.LastUserMessage,
        ["messageCount"] = request.MessageCount,
        ["hasToolResults"] = request.HasToolResults,
        ["continuation"] = request.Continuation.ToString(),
        ["aborted"] = request.Aborted,
        ["ended"] = request.Ended,
        ["contentTokensSent"] = request.ContentTokensSent,
        ["slowFirstToken"] = request.SlowFirstToken,
        ["body"] = request.Body.DeepClone(),
    };

    private static Task WriteJsonAsync(HttpContext context, int status, JsonNode body, CancellationToken cancellationToken)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(body.ToJsonString(WireJson.Options), cancellationToken);
    }
}
