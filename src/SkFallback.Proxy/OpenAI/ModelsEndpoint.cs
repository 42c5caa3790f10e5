using Microsoft.AspNetCore.Http;
using SkFallback.Proxy.Chains;
using SkFallback.Proxy.Keys;
using SkFallback.Proxy.Operations;
using SkFallback.Proxy.Wire;

namespace SkFallback.Proxy.OpenAI;

/// <summary>
/// <c>GET /v1/models</c> and <c>GET /v1/models/{id}</c>: the virtual models the key may call, in the OpenAI list shape, or
/// in the Anthropic one when the request carries <c>anthropic-version</c> (as the Anthropic SDKs send).
/// </summary>
internal sealed class ModelsEndpoint(ChainCatalog catalog, GatewayKeyStore keys)
{
    /// <summary>Lists the models.</summary>
    /// <param name="context">The request.</param>
    /// <returns>A task.</returns>
    public async Task ListAsync(HttpContext context)
    {
        var anthropic = IsAnthropic(context);
        if (Authenticate(context) is not { } key)
        {
            await WireErrors.WriteAsync(context, anthropic ? ClientWire.Anthropic : ClientWire.OpenAI, Unauthorized).ConfigureAwait(false);
            return;
        }

        if (anthropic)
        {
            var allowed = catalog.Models.Where(m => key.Allows(m.Name, m.Chain)).ToList();
            await OperationsEndpoints.WriteAsync(context, 200, w =>
            {
                w.WriteStartObject();
                w.WriteStartArray("data");
                foreach (var model in allowed)
                {
                    WriteAnthropic(w, model);
                }

                w.WriteEndArray();
                w.WriteBoolean("has_more", false);
                w.WriteString("first_id", allowed.Count > 0 ? allowed[0].Name : null);
                w.WriteString("last_id", allowed.Count > 0 ? allowed[^1].Name : null);
                w.WriteEndObject();
            }).ConfigureAwait(false);
            return;
        }

        await OperationsEndpoints.WriteAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("object", "list");
            w.WriteStartArray("data");
            foreach (var model in catalog.Models)
            {
                if (key.Allows(model.Name, model.Chain))
                {
                    Write(w, model);
                }
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    /// <summary>Describes one model.</summary>
    /// <param name="context">The request.</param>
    /// <param name="id">The model name.</param>
    /// <returns>A task.</returns>
    public async Task GetAsync(HttpContext context, string id)
    {
        var wire = IsAnthropic(context) ? ClientWire.Anthropic : ClientWire.OpenAI;
        if (Authenticate(context) is not { } key)
        {
            await WireErrors.WriteAsync(context, wire, Unauthorized).ConfigureAwait(false);
            return;
        }

        if (!catalog.TryResolve(id, out var model) || !key.Allows(model.Name, model.Chain))
        {
            await WireErrors.WriteAsync(context, wire, new GatewayError(404, "invalid_request_error", "model_not_found", "model", $"The model '{id}' does not exist or you do not have access to it.")).ConfigureAwait(false);
            return;
        }

        await OperationsEndpoints.WriteAsync(context, 200, w =>
        {
            if (wire == ClientWire.Anthropic)
            {
                WriteAnthropic(w, model);
            }
            else
            {
                Write(w, model);
            }
        }).ConfigureAwait(false);
    }

    private static readonly GatewayError Unauthorized = new(401, "invalid_request_error", "invalid_api_key", null, "Missing or incorrect API key.");

    private GatewayKey? Authenticate(HttpContext context)
    {
        var headers = context.Request.Headers;
        string? presented = null;
        if (headers.Authorization is { Count: > 0 } authorization && authorization[0] is { } value && value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            presented = value[7..].Trim();
        }
        else if (headers.TryGetValue("x-api-key", out var apiKey) && apiKey.Count > 0)
        {
            presented = apiKey[0];
        }

        var key = string.IsNullOrEmpty(presented) ? null : keys.Find(presented);
        return key is { Options.Revoked: false } ? key : null;
    }

    private static bool IsAnthropic(HttpContext context) => context.Request.Headers.ContainsKey("anthropic-version");

    private static void WriteAnthropic(System.Text.Json.Utf8JsonWriter w, VirtualModel model)
    {
        w.WriteStartObject();
        w.WriteString("type", "model");
        w.WriteString("id", model.Name);
        w.WriteString("display_name", model.Pinned ? model.Name : $"{model.Name} (chain: {string.Join(" > ", model.Providers.Select(p => p.Model))})");
        w.WriteString("created_at", "1970-01-01T00:00:00Z");
        w.WriteEndObject();
    }

    private static void Write(System.Text.Json.Utf8JsonWriter w, VirtualModel model)
    {
        w.WriteStartObject();
        w.WriteString("id", model.Name);
        w.WriteString("object", "model");
        w.WriteNumber("created", 0);
        w.WriteString("owned_by", "skfallback");
        w.WriteStartObject("skfallback");
        w.WriteString("chain", model.Chain);
        w.WriteBoolean("pinned", model.Pinned);
        w.WriteStartArray("providers");
        foreach (var (name, providerModel) in model.Providers)
        {
            w.WriteStartObject();
            w.WriteString("name", name);
            w.WriteString("model", providerModel);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
