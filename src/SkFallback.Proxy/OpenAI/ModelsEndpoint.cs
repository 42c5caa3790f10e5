using Microsoft.AspNetCore.Http;
using SkFallback.Proxy.Chains;
using SkFallback.Proxy.Keys;
using SkFallback.Proxy.Operations;
using SkFallback.Proxy.Wire;

namespace SkFallback.Proxy.OpenAI;

/// <summary><c>GET /v1/models</c> and <c>GET /v1/models/{id}</c>: the virtual models the key may call, in the OpenAI list shape.</summary>
internal sealed class ModelsEndpoint(ChainCatalog catalog, GatewayKeyStore keys)
{
    /// <summary>Lists the models.</summary>
    /// <param name="context">The request.</param>
    /// <returns>A task.</returns>
    public async Task ListAsync(HttpContext context)
    {
        if (Authenticate(context) is not { } key)
        {
            await WireErrors.WriteAsync(context, WireErrors.WireOf(context.Request.Path), Unauthorized).ConfigureAwait(false);
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
        if (Authenticate(context) is not { } key)
        {
            await WireErrors.WriteAsync(context, ClientWire.OpenAI, Unauthorized).ConfigureAwait(false);
            return;
        }

        if (!catalog.TryResolve(id, out var model) || !key.Allows(model.Name, model.Chain))
        {
            await WireErrors.WriteAsync(context, ClientWire.OpenAI, new GatewayError(404, "invalid_request_error", "model_not_found", "model", $"The model '{id}' does not exist or you do not have access to it.")).ConfigureAwait(false);
            return;
        }

        await OperationsEndpoints.WriteAsync(context, 200, w => Write(w, model)).ConfigureAwait(false);
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
