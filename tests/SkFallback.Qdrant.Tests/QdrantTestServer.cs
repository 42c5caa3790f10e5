using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;
using Qdrant.Client;

[assembly: AssemblyFixture(typeof(SkFallback.Qdrant.Tests.QdrantTestServer))]

namespace SkFallback.Qdrant.Tests;

/// <summary>
/// The real Qdrant the server tests use: the one named by <c>QDRANT_ENDPOINT</c> (its gRPC address), or else a container
/// of <see cref="Image"/> started through Testcontainers when Docker is reachable. With neither, <see cref="SkipReason"/>
/// says why and the server tests skip.
/// </summary>
public sealed class QdrantTestServer : IAsyncLifetime
{
    /// <summary>The image the tests start; docker-compose.qdrant.yml pins the same tag.</summary>
    public const string Image = "qdrant/qdrant:v1.20.0";

    public const string EndpointVariable = "QDRANT_ENDPOINT";

    public const string ApiKeyVariable = "QDRANT_API_KEY";

    private IContainer? _container;

    /// <summary>Gets Qdrant's gRPC address, or <see langword="null"/> when there is no server.</summary>
    public string? Endpoint { get; private set; }

    /// <summary>Gets the API key from <c>QDRANT_API_KEY</c>, if any.</summary>
    public string? ApiKey { get; } = Environment.GetEnvironmentVariable(ApiKeyVariable) is { Length: > 0 } key ? key : null;

    public bool Available => Endpoint is not null;

    public string SkipReason { get; private set; } = string.Empty;

    public async ValueTask InitializeAsync()
    {
        var configured = Environment.GetEnvironmentVariable(EndpointVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            Endpoint = configured.Trim();
            return;
        }

        try
        {
            var container = new ContainerBuilder(Image)
                .WithPortBinding(6333, true)
                .WithPortBinding(6334, true)
                .WithWaitStrategy(Wait.ForUnixContainer().UntilHttpRequestIsSucceeded(r => r.ForPort(6333).ForPath("/readyz")))
                .Build();
            using var startup = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            await container.StartAsync(startup.Token);
            _container = container;
            Endpoint = $"http://{container.Hostname}:{container.GetMappedPublicPort(6334)}";
        }
        catch (Exception e)
        {
            SkipReason = $"No Qdrant server: {EndpointVariable} is not set (point it at a Qdrant gRPC API such as http://127.0.0.1:6334, "
                + $"started with `docker compose -f docker-compose.qdrant.yml up -d`) and Docker is not reachable for Testcontainers "
                + $"to start {Image} ({e.GetType().Name}: {FirstLine(e.Message)}).";
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_container is not null)
        {
            await _container.DisposeAsync();
        }
    }

    /// <summary>A raw client for setting up and cleaning up collections behind the store's back.</summary>
    public QdrantClient CreateRawClient() => new(new Uri(Endpoint!), ApiKey);

    private static string FirstLine(string message)
    {
        var line = message.Split('\n', 2)[0].Trim();
        return line.Length > 200 ? line[..200] : line;
    }
}
