using Microsoft.Extensions.AI;

namespace SkFallback.ConcurrencyLoad;

/// <summary>The peer with the HTTP client its SDK clients share, disposed together.</summary>
internal sealed class PeerClient(IChatClient inner, HttpClient http) : DelegatingChatClient(inner)
{
    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            http.Dispose();
        }
    }
}
