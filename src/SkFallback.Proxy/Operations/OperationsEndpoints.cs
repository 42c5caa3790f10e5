using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using SkFallback.CircuitBreaking;
using SkFallback.Proxy.Chains;

namespace SkFallback.Proxy.Operations;

/// <summary><c>/healthz</c> (live), <c>/readyz</c> (every chain has a provider whose breaker is not open) and <c>/v1/providers/health</c>.</summary>
internal sealed class OperationsEndpoints(ChainCatalog catalog, GatewayState state)
{
    /// <summary><c>GET /healthz</c>: the process serves requests.</summary>
    /// <param name="context">The request.</param>
    /// <returns>A task.</returns>
    public static Task LiveAsync(HttpContext context) => WriteAsync(context, 200, w =>
    {
        w.WriteStartObject();
        w.WriteString("status", "ok");
        w.WriteEndObject();
    });

    /// <summary><c>GET /readyz</c>: configuration valid (the gateway started), not draining, and every chain has a provider whose breaker is not open.</summary>
    /// <param name="context">The request.</param>
    /// <returns>A task.</returns>
    public Task ReadyAsync(HttpContext context)
    {
        var unready = new List<string>();
        foreach (var (chain, providers) in catalog.Health())
        {
            if (providers.All(p => p.Circuit == CircuitState.Open))
            {
                unready.Add(chain);
            }
        }

        var ready = unready.Count == 0 && !state.Draining;
        return WriteAsync(context, ready ? 200 : 503, w =>
        {
            w.WriteStartObject();
            w.WriteString("status", ready ? "ready" : "unavailable");
            if (state.Draining)
            {
                w.WriteBoolean("draining", true);
            }

            w.WriteStartArray("chains_without_a_closed_provider");
            foreach (var chain in unready)
            {
                w.WriteStringValue(chain);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    /// <summary><c>GET /v1/providers/health</c>: each chain's health snapshot (no keys, no endpoints).</summary>
    /// <param name="context">The request.</param>
    /// <returns>A task.</returns>
    public Task ProviderHealthAsync(HttpContext context) => WriteAsync(context, 200, w =>
    {
        w.WriteStartObject();
        w.WriteStartArray("chains");
        foreach (var (chain, providers) in catalog.Health())
        {
            w.WriteStartObject();
            w.WriteString("chain", chain);
            w.WriteStartArray("providers");
            foreach (var p in providers)
            {
                w.WriteStartObject();
                w.WriteString("provider", p.Provider);
                w.WriteString("model", p.Model);
                w.WriteString("circuit", p.Circuit.ToString());
                w.WriteNumber("consecutive_failures", p.ConsecutiveFailures);
                Time(w, "open_until", p.OpenUntil);
                Time(w, "cooling_down_until", p.CoolingDownUntil);
                w.WriteNumber("attempts", p.Attempts);
                w.WriteNumber("error_rate", Math.Round(p.ErrorRate, 4));
                Millis(w, "latency_p50_ms", p.LatencyP50);
                Millis(w, "latency_p95_ms", p.LatencyP95);
                Millis(w, "time_to_first_token_p50_ms", p.TimeToFirstTokenP50);
                w.WriteString("last_failure", p.LastFailure?.ToString());
                Time(w, "last_failure_at", p.LastFailureAt);
                if (p.RemainingTokens is long remaining)
                {
                    w.WriteNumber("remaining_tokens", remaining);
                }
                else
                {
                    w.WriteNull("remaining_tokens");
                }

                Time(w, "rate_limit_reset_at", p.RateLimitResetAt);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    });

    /// <summary>Writes a JSON body.</summary>
    /// <param name="context">The request.</param>
    /// <param name="status">The status.</param>
    /// <param name="write">Writes the value.</param>
    /// <returns>A task.</returns>
    public static async Task WriteAsync(HttpContext context, int status, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
    }

    private static void Time(Utf8JsonWriter writer, string name, DateTimeOffset? value)
    {
        if (value is { } time)
        {
            writer.WriteString(name, time);
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    private static void Millis(Utf8JsonWriter writer, string name, TimeSpan? value)
    {
        if (value is { } time)
        {
            writer.WriteNumber(name, Math.Round(time.TotalMilliseconds, 2));
        }
        else
        {
            writer.WriteNull(name);
        }
    }
}
