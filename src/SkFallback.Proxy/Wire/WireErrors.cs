using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using SkFallback.Proxy.Anthropic;
using SkFallback.Proxy.OpenAI;

namespace SkFallback.Proxy.Wire;

/// <summary>Writes a <see cref="GatewayError"/> as the wire's error JSON with its status and headers.</summary>
internal static class WireErrors
{
    /// <summary>Which wire a path speaks (for errors raised before an endpoint ran).</summary>
    /// <param name="path">The request path.</param>
    /// <returns>The wire.</returns>
    public static ClientWire WireOf(PathString path) =>
        path.StartsWithSegments("/v1/messages", StringComparison.OrdinalIgnoreCase) ? ClientWire.Anthropic : ClientWire.OpenAI;

    /// <summary>Writes the error unless the response has started.</summary>
    /// <param name="context">The request.</param>
    /// <param name="wire">The wire.</param>
    /// <param name="error">The error.</param>
    /// <returns>A task that completes when written.</returns>
    public static async Task WriteAsync(HttpContext context, ClientWire wire, GatewayError error)
    {
        var response = context.Response;
        if (response.HasStarted)
        {
            return;
        }

        response.StatusCode = error.Status;
        response.ContentType = "application/json";
        if (error.RetryAfterSeconds is int seconds)
        {
            response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        }

        foreach (var (name, value) in error.Headers ?? [])
        {
            response.Headers[name] = value;
        }

        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, wire, error);
        }

        await response.Body.WriteAsync(buffer.WrittenMemory, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Writes the error JSON of a wire.</summary>
    /// <param name="writer">The writer.</param>
    /// <param name="wire">The wire.</param>
    /// <param name="error">The error.</param>
    public static void Write(Utf8JsonWriter writer, ClientWire wire, GatewayError error)
    {
        if (wire == ClientWire.Anthropic)
        {
            AnthropicWire.WriteError(writer, error);
        }
        else
        {
            OpenAIWire.WriteError(writer, error);
        }
    }
}
