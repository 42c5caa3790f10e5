namespace SkFallback.Providers;

/// <summary>
/// Sits in the <see cref="HttpClient"/> of every built-in provider and records each response's status,
/// rate-limit headers and (for errors) the start of the body into the attempt's <see cref="HttpExchange"/>.
/// </summary>
internal sealed class ProviderHttpHandler : DelegatingHandler
{
    private const int MaxErrorBodyChars = 4096;
    private readonly TimeProvider _timeProvider;

    public ProviderHttpHandler(HttpMessageHandler innerHandler, TimeProvider timeProvider)
        : base(innerHandler)
    {
        _timeProvider = timeProvider;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (HttpExchange.Current is { } exchange)
        {
            string? errorBody = null;
            if ((int)response.StatusCode >= 400)
            {
                // Error bodies are small; buffering keeps them readable by the SDK afterwards.
                await response.Content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
                errorBody = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                if (errorBody.Length > MaxErrorBodyChars)
                {
                    errorBody = errorBody[..MaxErrorBodyChars];
                }
            }

            exchange.Record(response, errorBody, _timeProvider.GetUtcNow());
        }

        return response;
    }
}
