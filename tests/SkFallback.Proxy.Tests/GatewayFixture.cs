using System.ClientModel;
using System.ClientModel.Primitives;
using OpenAI;
using OpenAI.Chat;
using SkFallback.Proxy.Keys;
using SkFallback.Simulator;

namespace SkFallback.Proxy.Tests;

/// <summary>
/// A simulator and a gateway in front of it, configured the way an operator would (in-memory configuration with the
/// same keys as appsettings.json), listening on 127.0.0.1 port 0. Chains:
/// <list type="bullet">
/// <item><c>main</c>: <c>primary</c> (OpenAI wire, <c>sim-a</c>) → <c>backup</c> (Anthropic wire, also <c>sim-a</c>, so a
/// fallback's answer is the same text) → <c>third</c> (OpenAI, <c>sim-b</c>).</item>
/// <item><c>claude-first</c>: Anthropic <c>sim-c</c> → OpenAI <c>sim-c</c>.</item>
/// <item><c>quick</c>: <c>sim-q1</c> → <c>sim-q2</c> with 1 s first-token and 2 s attempt timeouts.</item>
/// <item><c>slow</c>: <c>sim-d</c> alone.</item>
/// </list>
/// Breakers are off so one test's failures never change another's routing.
/// </summary>
public class GatewayFixture : IAsyncLifetime
{
    public const string Key = "sk-skf-test-key-0123456789abcdef";
    public const string OpenAIUpstreamKey = "sk-upstream-openai-secret-1234";
    public const string AnthropicUpstreamKey = "sk-ant-upstream-secret-5678";

    private GatewayServer? _gateway;
    private ProviderSimulator? _simulator;

    public ProviderSimulator Simulator => _simulator ?? throw new InvalidOperationException("not started");

    internal GatewayServer Gateway => _gateway ?? throw new InvalidOperationException("not started");

    public Uri BaseUri => Gateway.BaseUri;

    protected virtual TimeProvider? Time => null;

    public async ValueTask InitializeAsync()
    {
        _simulator = await ProviderSimulator.StartAsync();
        var config = new Dictionary<string, string?>();
        Chain(config, "main", ("primary", "OpenAI", "sim-a"), ("backup", "Anthropic", "sim-a"), ("third", "OpenAI", "sim-b"));
        Chain(config, "claude-first", ("claude", "Anthropic", "sim-c"), ("gpt", "OpenAI", "sim-c"));
        Chain(config, "quick", ("q1", "OpenAI", "sim-q1"), ("q2", "Anthropic", "sim-q2"));
        config["SkFallback:Chains:quick:FirstTokenTimeout"] = "00:00:01";
        config["SkFallback:Chains:quick:AttemptTimeout"] = "00:00:02";
        Chain(config, "slow", ("slow", "OpenAI", "sim-d"));
        config["SkFallback:Proxy:Keys:0:Id"] = "test";
        config["SkFallback:Proxy:Keys:0:Hash"] = GatewayKeyHash.Hash(Key);
        config["SkFallback:Proxy:Keys:0:Tenant"] = "acme";
        Configure(config);
        _gateway = await GatewayServer.StartAsync(new GatewayStartOptions
        {
            Args = ["--urls", "http://127.0.0.1:0"],
            Configuration = config,
            ConsoleLogging = false,
            TimeProvider = Time,
        });
    }

    /// <summary>Adds to the configuration (keys, more chains).</summary>
    protected virtual void Configure(Dictionary<string, string?> config)
    {
    }

    protected void Chain(Dictionary<string, string?> config, string name, params (string Name, string Kind, string Model)[] providers)
    {
        var p = $"SkFallback:Chains:{name}";
        config[$"{p}:MaxRetriesPerProvider"] = "0";
        config[$"{p}:AttemptTimeout"] = "00:00:20";
        config[$"{p}:FirstTokenTimeout"] = "00:00:10";
        config[$"{p}:Deadline"] = "00:01:00";
        config[$"{p}:Streaming:StallTimeout"] = "00:00:02";
        config[$"{p}:CircuitBreaker:Enabled"] = "false";
        for (var i = 0; i < providers.Length; i++)
        {
            var (providerName, kind, model) = providers[i];
            config[$"{p}:Providers:{i}:Name"] = providerName;
            config[$"{p}:Providers:{i}:Kind"] = kind;
            config[$"{p}:Providers:{i}:Model"] = model;
            config[$"{p}:Providers:{i}:ApiKey"] = kind == "Anthropic" ? AnthropicUpstreamKey : OpenAIUpstreamKey;
            config[$"{p}:Providers:{i}:Endpoint"] = (kind == "Anthropic" ? Simulator.AnthropicEndpoint : Simulator.OpenAIEndpoint).ToString();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }

        if (_simulator is not null)
        {
            await _simulator.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>The official OpenAI SDK pointed at the gateway, its own retries off.</summary>
    public ChatClient OpenAI(string model, string key = Key) =>
        new(model, new ApiKeyCredential(key), new OpenAIClientOptions
        {
            Endpoint = new Uri(BaseUri, "v1/"),
            RetryPolicy = new ClientRetryPolicy(0),
        });

    /// <summary>The official Anthropic SDK pointed at the gateway, its own retries off.</summary>
    public global::Anthropic.AnthropicClient Anthropic(string key = Key) =>
        new() { ApiKey = key, BaseUrl = BaseUri.ToString(), MaxRetries = 0 };

    /// <summary>A raw HTTP client for the gateway.</summary>
    public HttpClient Http() => new() { BaseAddress = BaseUri };
}
