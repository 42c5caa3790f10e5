using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using SkFallback.Simulator.Content;

namespace SkFallback.Simulator.Server;

/// <summary>The state one simulator instance shares between its endpoints: options, scripts, log, shutdown.</summary>
internal sealed class SimulatorState : IDisposable
{
    private readonly ConcurrentDictionary<string, ModelScript> _scripts = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();

    public SimulatorState(SimulatorOptions options, TimeProvider timeProvider)
    {
        Options = options;
        TimeProvider = timeProvider;
        Composer = new ReplyComposer(options.Seed, options.ReplyWords);
        Log = new RequestLog(timeProvider);
    }

    public SimulatorOptions Options { get; }

    public TimeProvider TimeProvider { get; }

    public ReplyComposer Composer { get; }

    public RequestLog Log { get; }

    /// <summary>Cancelled when the simulator stops, so hanging and stalled responses end with it.</summary>
    public CancellationToken Stopping => _stopping.Token;

    public ModelScript Script(string modelId) => _scripts.GetOrAdd(modelId, static (id, time) => new ModelScript(id, time), TimeProvider);

    public IReadOnlyList<string> ModelIds()
    {
        var ids = _scripts.Keys.Where(id => id.Length > 0).ToList();
        ids.Sort(StringComparer.Ordinal);
        return ids;
    }

    public void Reset()
    {
        _scripts.Clear();
        Log.Clear();
    }

    /// <summary>Whether the request carries the required key (OpenAI bearer token or Anthropic <c>x-api-key</c>).</summary>
    public bool IsAuthorized(HttpRequest request) =>
        Options.RequiredApiKey is not { } required || string.Equals(PresentedKey(request), required, StringComparison.Ordinal);

    /// <summary>The credential a request carries: <c>x-api-key</c>, a bearer token, or a <c>key</c> query parameter.</summary>
    public static string? PresentedKey(HttpRequest request)
    {
        string? key = request.Headers["x-api-key"];
        if (string.IsNullOrEmpty(key))
        {
            string? authorization = request.Headers.Authorization;
            const string Bearer = "Bearer ";
            if (authorization is not null && authorization.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase))
            {
                key = authorization[Bearer.Length..].Trim();
            }
        }

        return string.IsNullOrEmpty(key) ? request.Query["key"].ToString() : key;
    }

    public void Stop() => _stopping.Cancel();

    public void Dispose() => _stopping.Dispose();
}
