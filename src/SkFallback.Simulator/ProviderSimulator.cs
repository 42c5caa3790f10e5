using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SkFallback.Simulator.Scripting;
using SkFallback.Simulator.Server;

namespace SkFallback.Simulator;

/// <summary>
/// A real Kestrel server on 127.0.0.1 that speaks the OpenAI chat-completions and Anthropic messages wire formats,
/// streaming included, with seeded replies and scripted faults per model id. Each instance is independent.
/// </summary>
public sealed class ProviderSimulator : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly SimulatorState _state;
    private int _disposed;

    private ProviderSimulator(WebApplication app, SimulatorState state, Uri baseUri)
    {
        _app = app;
        _state = state;
        BaseUri = baseUri;
        OpenAIEndpoint = new Uri(baseUri, "v1/");
        AnthropicEndpoint = baseUri;
    }

    /// <summary>Gets the root address, <c>http://127.0.0.1:{port}/</c>.</summary>
    public Uri BaseUri { get; }

    /// <summary>Gets the OpenAI endpoint, <c>{BaseUri}v1/</c>, for <c>OpenAIClientOptions.Endpoint</c>.</summary>
    public Uri OpenAIEndpoint { get; }

    /// <summary>Gets the Anthropic base address, <c>{BaseUri}</c>, for <c>AnthropicClient.BaseUrl</c> (a string: use <c>ToString()</c>).</summary>
    public Uri AnthropicEndpoint { get; }

    /// <summary>Gets a snapshot of every request received, in arrival order.</summary>
    public IReadOnlyList<RecordedRequest> Requests => _state.Log.Snapshot();

    /// <summary>Starts a simulator on loopback.</summary>
    /// <param name="options">The options; defaults when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running simulator; dispose it to stop.</returns>
    public static async Task<ProviderSimulator> StartAsync(SimulatorOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new SimulatorOptions();
        options.Validate();
        var state = new SimulatorState(options, options.TimeProvider);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ApplicationName = typeof(ProviderSimulator).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(IPAddress.Loopback, options.Port);
        });
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(2));
        var app = builder.Build();
        try
        {
            var router = new SimulatorRouter(state);
            app.Run(router.HandleAsync);
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            var port = new Uri(address).Port;
            return new ProviderSimulator(app, state, new Uri($"http://127.0.0.1:{port}/"));
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            state.Dispose();
            throw;
        }
    }

    /// <summary>Gets (or creates) the script of one model id.</summary>
    /// <param name="modelId">The model id as sent in requests.</param>
    /// <returns>The script, shared by every request for that model until <see cref="Reset"/>.</returns>
    public ModelScript Model(string modelId)
    {
        ArgumentNullException.ThrowIfNull(modelId);
        return _state.Script(modelId);
    }

    /// <summary>Gets a snapshot of the requests for one model id, in arrival order.</summary>
    /// <param name="modelId">The model id.</param>
    /// <returns>The requests.</returns>
    public IReadOnlyList<RecordedRequest> RequestsFor(string modelId)
    {
        ArgumentNullException.ThrowIfNull(modelId);
        return _state.Log.Snapshot(modelId);
    }

    /// <summary>
    /// Gets the text a continuation request answers: the rest of <paramref name="fullAnswer"/> after
    /// <paramref name="partialAnswer"/> when it is a prefix of it (prefill and prefix completions stream exactly this),
    /// otherwise the full answer after a space.
    /// </summary>
    /// <param name="fullAnswer">The full answer of the conversation being continued (<see cref="ExpectedReply"/>).</param>
    /// <param name="partialAnswer">The partial answer sent as prefill, prefix or in the continuation instruction.</param>
    /// <returns>The continuation text.</returns>
    public static string ExpectedContinuation(string fullAnswer, string partialAnswer)
    {
        ArgumentNullException.ThrowIfNull(fullAnswer);
        ArgumentNullException.ThrowIfNull(partialAnswer);
        if (fullAnswer.StartsWith(partialAnswer, StringComparison.Ordinal))
        {
            return fullAnswer[partialAnswer.Length..];
        }

        return partialAnswer.Length == 0 || char.IsWhiteSpace(partialAnswer[^1]) ? fullAnswer : " " + fullAnswer;
    }

    /// <summary>Gets the text a normal reply of <paramref name="modelId"/> to <paramref name="lastUserMessage"/> has (same on both wires).</summary>
    /// <param name="modelId">The model id.</param>
    /// <param name="lastUserMessage">The text of the last user message.</param>
    /// <returns>The reply text.</returns>
    public string ExpectedReply(string modelId, string lastUserMessage)
    {
        ArgumentNullException.ThrowIfNull(modelId);
        return _state.Composer.Words(modelId, lastUserMessage);
    }

    /// <summary>
    /// Completes when every request received so far has ended: answered, broken as scripted, or aborted by its
    /// client (see <see cref="RecordedRequest.Aborted"/>). Use it after cancelling a call to read a settled log.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A task that completes when those requests have ended.</returns>
    public Task WaitForRequestsToEndAsync(CancellationToken cancellationToken = default) =>
        _state.Log.WhenEndedAsync().WaitAsync(cancellationToken);

    /// <summary>Replaces model scripts from a JSON document <c>{"models":{"id":{"then":[...],"always":{...},"rateLimits":{...}}}}</c>.</summary>
    /// <param name="json">The document.</param>
    /// <exception cref="FormatException">The document is not a valid script.</exception>
    public void LoadScript(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        ScriptDocument.ApplyModels(System.Text.Json.Nodes.JsonNode.Parse(json), _state.Script);
    }

    /// <summary>Clears every model script and the request log; scripts obtained before are detached.</summary>
    public void Reset() => _state.Reset();

    /// <summary>Stops the server; hanging and stalled responses are aborted.</summary>
    /// <returns>A task that completes when the server stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _state.Stop();
        try
        {
            await _app.StopAsync().ConfigureAwait(false);
        }
        finally
        {
            await _app.DisposeAsync().ConfigureAwait(false);
            _state.Dispose();
        }
    }
}
