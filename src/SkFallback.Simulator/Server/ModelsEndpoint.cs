using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using SkFallback.Simulator.Content;

namespace SkFallback.Simulator.Server;

/// <summary><c>GET /v1/models</c>: OpenAI's list, or Anthropic's when the request carries <c>anthropic-version</c>.</summary>
internal sealed class ModelsEndpoint(SimulatorState state)
{
    public Task HandleAsync(HttpContext context)
    {
        var anthropic = context.Request.Headers.ContainsKey("anthropic-version");
        var ids = state.ModelIds();
        var created = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var data = new JsonArray();
        foreach (var id in ids)
        {
            data.Add(anthropic
                ? new JsonObject
                {
                    ["type"] = "model",
                    ["id"] = id,
                    ["display_name"] = id,
                    ["created_at"] = created.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                }
                : new JsonObject
                {
                    ["id"] = id,
                    ["object"] = "model",
                    ["created"] = created.ToUnixTimeSeconds(),
                    ["owned_by"] = "skfallback-simulator",
                });
        }

        var body = anthropic
            ? new JsonObject
            {
                ["data"] = data,
                ["has_more"] = false,
                ["first_id"] = ids.Count > 0 ? ids[0] : null,
                ["last_id"] = ids.Count > 0 ? ids[^1] : null,
            }
            : new JsonObject { ["object"] = "list", ["data"] = data };
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(body.ToJsonString(WireJson.Options), context.RequestAborted);
    }
}
