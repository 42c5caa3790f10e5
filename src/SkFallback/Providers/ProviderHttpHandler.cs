namespace SkFallback.Providers;

/// <summary>
/// Sits in the <see cref="HttpClient"/> of every built-in provider and records each response's status,
/// rate-limit headers and (for errors) the start of the body into the attempt's <see cref="HttpExchange"/>, and caps
/// what a response may send (<see cref="CappedContent"/>).
/// </summary>
internal sealed class ProviderHttpHandler : DelegatingHandler
{
    private const int MaxErrorBodyChars = 4096;
    private readonly TimeProvider _timeProvider;
    private readonly long _maxResponseBytes;
    private readonly long _maxLineBytes;

    public ProviderHttpHandler(HttpMessageHandler innerHandler, TimeProvider timeProvider, long maxResponseBytes = long.MaxValue, long maxLineBytes = long.MaxValue)
        : base(innerHandler)
    {
        _timeProvider = timeProvider;
        _maxResponseBytes = maxResponseBytes;
        _maxLineBytes = maxLineBytes;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (_maxResponseBytes != long.MaxValue || _maxLineBytes != long.MaxValue)
        {
            // A bad provider must not fill memory: an endless body or event-stream line is cut at the caps.
            var eventStream = string.Equals(response.Content.Headers.ContentType?.MediaType, "text/event-stream", StringComparison.OrdinalIgnoreCase);
            response.Content = new CappedContent(response.Content, _maxResponseBytes, eventStream ? _maxLineBytes : long.MaxValue);
        }
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
