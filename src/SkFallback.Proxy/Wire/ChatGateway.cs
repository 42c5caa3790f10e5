using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using SkFallback.Events;
using SkFallback.Proxy.Chains;
using SkFallback.Proxy.Configuration;
using SkFallback.Proxy.Dashboard;
using SkFallback.Proxy.Keys;
using SkFallback.Proxy.Quotas;

namespace SkFallback.Proxy.Wire;

/// <summary>
/// The steps every chat request takes before and after its chain, whichever wire it speaks: authenticate the gateway
/// key, read the body within the size limit, resolve the virtual model, check the key's model list, rate limits and
/// budgets, add the request keys; afterwards count the key's tokens and spend.
/// </summary>
internal sealed class ChatGateway
{
    private readonly ChainCatalog _catalog;
    private readonly GatewayKeyStore _keys;
    private readonly GatewayOptions _options;
    private readonly TimeProvider _time;
    private readonly IQuotaStore _quotas;
    private readonly GatewayActivity? _activity;
    private readonly bool _eventLabels;

    /// <summary>Initializes a new instance of the <see cref="ChatGateway"/> class.</summary>
    /// <param name="catalog">The chains.</param>
    /// <param name="keys">The gateway keys.</param>
    /// <param name="options">The gateway options.</param>
    /// <param name="time">The clock.</param>
    /// <param name="secrets">Provider keys, redacted from every message.</param>
    /// <param name="quotas">Where rate limits and budgets are counted.</param>
    /// <param name="activity">Where finished calls are recorded for the dashboard, if it is on.</param>
    /// <param name="eventLabels">Whether calls carry labels for the fallback-event log (virtual model, chain, key id, wire).</param>
    public ChatGateway(ChainCatalog catalog, GatewayKeyStore keys, GatewayOptions options, TimeProvider time, IReadOnlyCollection<string> secrets, IQuotaStore quotas, GatewayActivity? activity = null, bool eventLabels = false)
    {
        _eventLabels = eventLabels;
        _activity = activity;
        _quotas = quotas;
        _catalog = catalog;
        _keys = keys;
        _options = options;
        _time = time;
        Secrets = secrets;
    }

    /// <summary>Gets the provider keys that must never appear in a response.</summary>
    public IReadOnlyCollection<string> Secrets { get; }

    /// <summary>Gets the clock.</summary>
    public TimeProvider Time => _time;

    /// <summary>
    /// Handles one request on <paramref name="wire"/>: prepares it (a failure is the wire's error), points the ledger at
    /// the key's budgets, then answers whole or streamed.
    /// </summary>
    /// <param name="context">The request.</param>
    /// <param name="wire">The wire the client speaks.</param>
    /// <param name="read">Reads the wire's request body.</param>
    /// <param name="complete">Writes a whole answer.</param>
    /// <param name="stream">Writes a streamed answer.</param>
    /// <returns>A task that completes when the response is written.</returns>
    public async Task HandleAsync(HttpContext context, ClientWire wire, Func<JsonElement, GatewayChatRequest> read, Func<HttpContext, PreparedCall, Task> complete, Func<HttpContext, PreparedCall, Task> stream)
    {
        PreparedCall call;
        try
        {
            call = await PrepareAsync(context, wire, read).ConfigureAwait(false);
        }
        catch (GatewayException exception)
        {
            await WireErrors.WriteAsync(context, wire, exception.Error).ConfigureAwait(false);
            return;
        }

        if (call.Key.HasBudget)
        {
            // The chain's attempts hold and charge the key's budgets through the ledger (see GatewayLedger).
            Quotas.QuotaContext.Current = call.Key;
        }

        await (call.Request.Stream ? stream(context, call) : complete(context, call)).ConfigureAwait(false);
    }

    /// <summary>Runs every step before the chain.</summary>
    /// <param name="context">The request.</param>
    /// <param name="wire">The wire it speaks.</param>
    /// <param name="read">The wire's body reader.</param>
    /// <returns>The prepared call.</returns>
    /// <exception cref="GatewayException">Any step refused the request.</exception>
    public async Task<PreparedCall> PrepareAsync(HttpContext context, ClientWire wire, Func<JsonElement, GatewayChatRequest> read)
    {
        var startedAt = _time.GetTimestamp();
        var key = Authenticate(context.Request.Headers, wire);
        GatewayChatRequest request;
        using (var body = await RequestBody.ReadJsonAsync(context, _options.MaxRequestBytes).ConfigureAwait(false))
        {
            request = read(body.RootElement);
        }

        if (!_catalog.TryResolve(request.Model, out var model))
        {
            throw new GatewayException(new GatewayError(404, "invalid_request_error", "model_not_found", "model",
                $"The model '{Truncate(request.Model)}' does not exist or you do not have access to it. GET /v1/models lists the gateway's models."));
        }

        if (!key.Allows(model.Name, model.Chain))
        {
            throw new GatewayException(new GatewayError(403, "permission_error", "model_not_allowed", "model",
                $"This key may not use the model '{model.Name}'."));
        }

        var now = _time.GetUtcNow();
        var limits = key.Options;
        var rate = await AdmitAsync(key, now).ConfigureAwait(false);
        if (!rate.Admitted)
        {
            var wait = (int)Math.Ceiling(Math.Max(1, (rate.ResetAt - now).TotalSeconds));
            throw new GatewayException(new GatewayError(429, "rate_limit_error", "rate_limit_exceeded", null,
                string.Create(CultureInfo.InvariantCulture, $"Rate limit reached for {rate.Limit} per min on key '{key.Id}'. Please try again in {wait}s."))
            {
                RetryAfterSeconds = wait,
                Headers = RateHeaders(rate, now),
            });
        }

        if (key.HasBudget && Exhausted(key, now) is { } exhausted)
        {
            throw new GatewayException(new GatewayError(429, "insufficient_quota", "insufficient_quota", null,
                $"You exceeded your current quota: the key's {exhausted} budget is spent."));
        }

        RequestKeys.Apply(context.Request.Headers, request.Options, limits.Tenant, limits.AllowTenantOverride);
        if (_eventLabels)
        {
            // The key's id, never the key: the event log reads these only for the calls it keeps.
            (request.Options.AdditionalProperties ??= [])[FallbackMetadataKeys.EventLabels] = new Dictionary<string, string>(4, StringComparer.Ordinal)
            {
                [FallbackEventLabels.VirtualModel] = model.Name,
                [FallbackEventLabels.Chain] = model.Chain,
                [FallbackEventLabels.GatewayKeyId] = key.Id,
                [FallbackEventLabels.Wire] = wire == ClientWire.Anthropic ? "anthropic" : "openai",
            };
        }

        return new PreparedCall(request, model, key, startedAt, rate);
    }

    /// <summary>Counts what a finished call used against its key, and records the call for the dashboard.</summary>
    /// <param name="call">The call.</param>
    /// <param name="usage">The usage, if reported.</param>
    /// <param name="metadata">What the chain said about the answer (provider, attempts, cost).</param>
    public void Settle(PreparedCall call, UsageDetails? usage, AnswerMetadata metadata)
    {
        // Spend is charged attempt by attempt by the chains' ledger (GatewayLedger); here only the key's tokens.
        _activity?.Record(new GatewayCall(_time.GetUtcNow(), call.Model.Name, call.Key.Id, TenantOf(call), call.Request.Stream, 200,
            metadata.Provider, metadata.Attempts ?? [], metadata.ContinuedFrom, metadata.CostUsd));
        if (call.Key.Options.TokensPerMinute is null || usage is null)
        {
            return;
        }

        var tokens = usage.TotalTokenCount ?? (usage.InputTokenCount ?? 0) + (usage.OutputTokenCount ?? 0);
        _quotas.AddTokens(call.Key.Id, _time.GetUtcNow().ToUnixTimeSeconds() / 60, tokens);
    }

    /// <summary>What a chain's exception becomes on the wire; the failed call is recorded for the dashboard.</summary>
    /// <param name="call">The call.</param>
    /// <param name="exception">What the chain threw.</param>
    /// <returns>The error to write.</returns>
    public GatewayError Fail(PreparedCall call, Exception exception)
    {
        var error = ChainFailure.ToError(exception, Secrets);
        _activity?.Record(new GatewayCall(_time.GetUtcNow(), call.Model.Name, call.Key.Id, TenantOf(call), call.Request.Stream, error.Status,
            null, error.Attempts ?? [], null, null));
        return error;
    }

    /// <summary>The request's time in the gateway so far.</summary>
    /// <param name="call">The call.</param>
    /// <returns>The elapsed time.</returns>
    public TimeSpan Elapsed(PreparedCall call) => _time.GetElapsedTime(call.StartedAt);

    /// <summary>Writes the key's rate-limit headers (on answers as on refusals).</summary>
    /// <param name="response">The response.</param>
    /// <param name="call">The call.</param>
    public void WriteRateHeaders(HttpResponse response, PreparedCall call)
    {
        if (call.Rate.RequestLimit is null && call.Rate.TokenLimit is null)
        {
            // A key without limits has no headers to write: skip the clock and the reset text.
            return;
        }

        foreach (var (name, value) in RateHeaders(call.Rate, _time.GetUtcNow()))
        {
            response.Headers[name] = value;
        }
    }

    private static string? TenantOf(PreparedCall call) =>
        call.Request.Options.AdditionalProperties?.TryGetValue(FallbackMetadataKeys.Tenant, out var tenant) == true ? tenant as string : null;

    private async ValueTask<RateDecision> AdmitAsync(GatewayKey key, DateTimeOffset now)
    {
        var minute = now.ToUnixTimeSeconds() / 60;
        var reset = DateTimeOffset.FromUnixTimeSeconds((minute + 1) * 60);
        if (!key.HasRateLimit)
        {
            return new RateDecision(true, null, null, null, null, null, reset);
        }

        var rpm = key.Options.RequestsPerMinute;
        var tpm = key.Options.TokensPerMinute;
        var count = await _quotas.AdmitAsync(key.Id, minute, rpm, tpm).ConfigureAwait(false);
        return new RateDecision(count.Admitted, count.Limit, rpm, rpm is int r ? (int)Math.Max(0, r - count.Requests) : null,
            tpm, tpm is long t ? Math.Max(0, t - count.Tokens) : null, reset);
    }

    private string? Exhausted(GatewayKey key, DateTimeOffset now)
    {
        foreach (var account in GatewayLedger.AccountsOf(null, null, key, now))
        {
            if (_quotas.Read(account).Spent >= account.LimitNanos)
            {
                return account.IsMonthly ? "monthly" : "daily";
            }
        }

        return null;
    }

    private static List<KeyValuePair<string, string>> RateHeaders(RateDecision rate, DateTimeOffset now)
    {
        var reset = FormattableString.Invariant($"{Math.Max(0, Math.Ceiling((rate.ResetAt - now).TotalSeconds))}s");
        var headers = new List<KeyValuePair<string, string>>(6);
        if (rate.RequestLimit is int requests)
        {
            headers.Add(new("x-ratelimit-limit-requests", requests.ToString(CultureInfo.InvariantCulture)));
            headers.Add(new("x-ratelimit-remaining-requests", (rate.RequestsRemaining ?? 0).ToString(CultureInfo.InvariantCulture)));
            headers.Add(new("x-ratelimit-reset-requests", reset));
        }

        if (rate.TokenLimit is long tokens)
        {
            headers.Add(new("x-ratelimit-limit-tokens", tokens.ToString(CultureInfo.InvariantCulture)));
            headers.Add(new("x-ratelimit-remaining-tokens", (rate.TokensRemaining ?? 0).ToString(CultureInfo.InvariantCulture)));
            headers.Add(new("x-ratelimit-reset-tokens", reset));
        }

        return headers;
    }

    private GatewayKey Authenticate(IHeaderDictionary headers, ClientWire wire)
    {
        string? presented = null;
        if (headers.Authorization is { Count: > 0 } authorization && authorization[0] is { } value)
        {
            presented = value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? value[7..].Trim() : null;
        }

        if (presented is null && headers.TryGetValue("x-api-key", out var apiKey) && apiKey.Count > 0)
        {
            presented = apiKey[0]?.Trim();
        }

        if (string.IsNullOrEmpty(presented))
        {
            throw new GatewayException(new GatewayError(401, "invalid_request_error", "invalid_api_key", null, wire == ClientWire.Anthropic
                ? "You didn't provide an API key. Send it in the 'x-api-key' header (or 'Authorization: Bearer')."
                : "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."));
        }

        var key = _keys.Find(presented);
        if (key is null)
        {
            throw new GatewayException(new GatewayError(401, "invalid_request_error", "invalid_api_key", null,
                "Incorrect API key provided. Gateway keys are issued with 'keys create'."));
        }

        if (key.Options.Revoked)
        {
            throw new GatewayException(new GatewayError(401, "invalid_request_error", "invalid_api_key", null,
                $"The API key '{key.Id}' has been revoked."));
        }

        return key;
    }

    private static string Truncate(string value) => value.Length <= 100 ? value : value[..100] + "...";
}
