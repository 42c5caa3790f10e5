using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SkFallback.Anthropic;
using SkFallback.Cost;
using SkFallback.Events;
using SkFallback.Proxy.Chains;
using SkFallback.Proxy.Configuration;
using SkFallback.Proxy.Dashboard;
using SkFallback.Proxy.Keys;
using SkFallback.Proxy.Offline;
using SkFallback.Proxy.OpenAI;
using SkFallback.Proxy.Operations;
using SkFallback.Proxy.Quotas;
using SkFallback.Proxy.Wire;
using SkFallback.Simulator;

namespace SkFallback.Proxy;

/// <summary>
/// The gateway: a Kestrel host serving the OpenAI and Anthropic wires over the configured chains (or, with nothing
/// configured, over the built-in simulator with a development key). Configuration is validated before the host starts;
/// every problem is reported at once, naming its key.
/// </summary>
internal sealed class GatewayServer : IAsyncDisposable
{
    /// <summary>Where the gateway listens when no URL is configured.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5100";

    private readonly WebApplication _app;
    private readonly bool _ownsSimulator;
    private int _disposed;

    private readonly IDisposable? _redis;

    private GatewayServer(WebApplication app, Uri baseUri, ChainCatalog catalog, ProviderSimulator? simulator, bool ownsSimulator, string? developmentKey, GatewayLedger ledger, IDisposable? redis)
    {
        _redis = redis;
        _app = app;
        BaseUri = baseUri;
        Catalog = catalog;
        Simulator = simulator;
        _ownsSimulator = ownsSimulator;
        DevelopmentKey = developmentKey;
        GatewayLedger = ledger;
    }

    /// <summary>Gets the root address, <c>http://127.0.0.1:{port}/</c>.</summary>
    public Uri BaseUri { get; }

    /// <summary>Gets the OpenAI base address, <c>{BaseUri}v1/</c>.</summary>
    public Uri OpenAIEndpoint => new(BaseUri, "v1/");

    /// <summary>Gets the chains and virtual models.</summary>
    public ChainCatalog Catalog { get; }

    /// <summary>Gets the simulator served offline, if any.</summary>
    public ProviderSimulator? Simulator { get; }

    /// <summary>Gets the development key (offline only).</summary>
    public string? DevelopmentKey { get; }

    /// <summary>Gets this replica's spend totals (every chain records to them).</summary>
    public SpendLedger Ledger => GatewayLedger.Totals;

    /// <summary>Gets the ledger every chain records to, which holds budgets in the quota store.</summary>
    public GatewayLedger GatewayLedger { get; }

    /// <summary>Gets where rate limits and budgets are counted (in process, or Redis shared by replicas).</summary>
    public IQuotaStore Quotas => GatewayLedger.Store;

    /// <summary>Gets a value indicating whether the dashboard is served at <c>/</c> (an admin key is configured, or offline).</summary>
    public bool DashboardEnabled { get; private init; }

    /// <summary>Gets the fallback-event log the chains write to, when <c>SkFallback:Events:Enabled</c> is set.</summary>
    internal FallbackEventLog? Events { get; private init; }

    /// <summary>Gets the host's services.</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>Builds, validates and starts the gateway.</summary>
    /// <param name="start">How to start it.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running gateway.</returns>
    /// <exception cref="GatewayConfigurationException">The configuration is invalid.</exception>
    public static async Task<GatewayServer> StartAsync(GatewayStartOptions start, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(start);
        var builder = CreateBuilder(start);
        var errors = new List<string>();
        var options = BindOptions(builder.Configuration, errors);
        var offline = options.Offline ?? !ChainConfiguration.HasChains(builder.Configuration);
        var (chains, simulator, ownsSimulator) = await ReadChainsAsync(start, builder.Configuration, offline, errors, cancellationToken).ConfigureAwait(false);
        GatewayOptionsValidator.Validate(options, offline, errors);
        if (errors.Count > 0)
        {
            if (ownsSimulator)
            {
                await simulator!.DisposeAsync().ConfigureAwait(false);
            }

            throw new GatewayConfigurationException(errors);
        }

        var developmentKey = offline ? options.DevelopmentKey ?? GatewayKeyHash.NewKey() : null;
        var time = start.TimeProvider ?? TimeProvider.System;
        ConfigureHost(builder, options);
        start.ConfigureBuilder?.Invoke(builder);
        var app = builder.Build();

        var built = new List<(string, FallbackOptions, FallbackChatClient)>();
        ChainCatalog? catalog = null;
        StackExchange.Redis.IConnectionMultiplexer? redis = null;
        var disposables = new List<IDisposable>();
        try
        {
            var loggers = app.Services.GetRequiredService<ILoggerFactory>();
            (var quotas, redis) = QuotaStores.Create(options.Redis, loggers.CreateLogger("SkFallback.Proxy.Quotas"));
            var ledger = new GatewayLedger(quotas, time);
            HoldForKeyBudgets(options, chains);
            var events = CreateEventLog(app, builder.Configuration, chains, developmentKey, loggers, time, disposables, errors);
            BuildChains(chains, loggers, time, ledger, redis, options.Redis.KeyPrefix, events, built, disposables, errors);
            if (errors.Count > 0)
            {
                throw new GatewayConfigurationException(errors);
            }

            catalog = new ChainCatalog(built);
            var keys = GatewayKeyStore.Create(options, developmentKey);
            var secrets = chains.SelectMany(c => c.Options.Providers).Select(p => p.ApiKey).OfType<string>().Distinct(StringComparer.Ordinal).ToArray();
            var dashboard = CreateDashboard(options, developmentKey, chains, catalog, keys, ledger, time);
            var gateway = new ChatGateway(catalog, keys, options, time, secrets, quotas, dashboard?.Data.Activity, eventLabels: events is not null);
            var state = new GatewayState();
            app.Lifetime.ApplicationStopping.Register(state.BeginDrain);
            Map(app, gateway, catalog, keys, state, dashboard?.Endpoints);
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            var port = new Uri(address).Port;
            if (redis is not null)
            {
                disposables.Add(redis);
            }

            return new GatewayServer(app, new Uri($"http://127.0.0.1:{port}/"), catalog, simulator, ownsSimulator, developmentKey, ledger, new Disposables(disposables))
            {
                DashboardEnabled = dashboard is not null,
                Events = events,
            };
        }
        catch
        {
            catalog?.Dispose();
            if (catalog is null)
            {
                foreach (var (_, _, client) in built)
                {
                    ((Microsoft.Extensions.AI.IChatClient)client).Dispose();
                }
            }

            await app.DisposeAsync().ConfigureAwait(false);
            disposables.ForEach(d => d.Dispose());
            redis?.Dispose();
            if (ownsSimulator)
            {
                await simulator!.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <summary>Completes when the host stops (Ctrl+C, SIGTERM).</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A task.</returns>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    /// <summary>Stops the host, letting in-flight requests finish up to the drain timeout.</summary>
    /// <param name="cancellationToken">Cuts the drain short.</param>
    /// <returns>A task.</returns>
    public Task StopAsync(CancellationToken cancellationToken = default) => _app.StopAsync(cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await _app.StopAsync().ConfigureAwait(false);
        }
        finally
        {
            await _app.DisposeAsync().ConfigureAwait(false);
            Catalog.Dispose();
            _redis?.Dispose();
            if (_ownsSimulator && Simulator is not null)
            {
                await Simulator.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static WebApplicationBuilder CreateBuilder(GatewayStartOptions start)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = start.Args,
            ApplicationName = typeof(GatewayServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        if (start.Configuration is not null)
        {
            builder.Configuration.AddInMemoryCollection(start.Configuration);
        }

        if (!start.ConsoleLogging)
        {
            builder.Logging.ClearProviders();
        }

        return builder;
    }

    private static GatewayOptions BindOptions(ConfigurationManager configuration, List<string> errors)
    {
        var options = new GatewayOptions();
        try
        {
            configuration.GetSection(GatewayOptions.SectionName).Bind(options);
        }
        catch (InvalidOperationException exception)
        {
            errors.Add($"{GatewayOptions.SectionName}: {exception.Message}");
        }

        return options;
    }

    /// <summary>The chains: offline, the simulator's (started here unless given); otherwise from configuration.</summary>
    private static async Task<(List<(string Name, string Section, FallbackOptions Options)> Chains, ProviderSimulator? Simulator, bool OwnsSimulator)> ReadChainsAsync(
        GatewayStartOptions start, IConfiguration configuration, bool offline, List<string> errors, CancellationToken cancellationToken)
    {
        if (!offline)
        {
            return (ChainConfiguration.Read(configuration, errors), null, false);
        }

        var simulator = start.Simulator;
        var owns = simulator is null;
        simulator ??= await ProviderSimulator.StartAsync(new SimulatorOptions(), cancellationToken).ConfigureAwait(false);
        var chains = OfflineChains.Create(simulator);
        foreach (var (_, section, chain) in chains)
        {
            ChainConfiguration.Validate(chain, section, errors);
        }

        return (chains, simulator, owns);
    }

    private static void ConfigureHost(WebApplicationBuilder builder, GatewayOptions options)
    {
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.MaxRequestBytes;
        });
        if (string.IsNullOrWhiteSpace(builder.Configuration["urls"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = options.DrainTimeout);
        if (options.Metrics)
        {
            Operations.GatewayMetrics.Add(builder.Services);
        }

        Operations.GatewayTracing.Add(builder.Services, options.Telemetry);
    }

    /// <summary>
    /// Keys with budgets need the engine to hold each attempt's cost: give their tenants, where a chain has no limit for
    /// them, the "no tenant limit" one, so holds are taken and only the keys' budgets bind.
    /// </summary>
    private static void HoldForKeyBudgets(GatewayOptions options, List<(string Name, string Section, FallbackOptions Options)> chains)
    {
        foreach (var key in options.Keys.Where(k => k.Tenant is not null && (k.DailyBudgetUsd is not null || k.MonthlyBudgetUsd is not null)))
        {
            foreach (var (_, _, chain) in chains)
            {
                if (chain.Budget.DailyLimitOf(key.Tenant) is null)
                {
                    chain.Budget.TenantDailyLimits[key.Tenant!] = GatewayLedger.NoTenantLimit;
                }
            }
        }
    }

    /// <summary>
    /// Builds each chain's client; with Redis configured each chain shares its breaker states and cooldowns with the
    /// other replicas through SkFallback.Redis (one store per chain, <c>{KeyPrefix}chain:{name}</c>), on the quotas' connection.
    /// </summary>
    private static void BuildChains(List<(string Name, string Section, FallbackOptions Options)> chains, ILoggerFactory loggers, TimeProvider time, GatewayLedger ledger,
        StackExchange.Redis.IConnectionMultiplexer? redis, string keyPrefix, FallbackEventLog? events, List<(string, FallbackOptions, FallbackChatClient)> built, List<IDisposable> disposables, List<string> errors)
    {
        foreach (var (name, section, chain) in chains)
        {
            try
            {
                SkFallback.Redis.RedisProviderStateStore? shared = null;
                if (redis is not null)
                {
                    shared = new SkFallback.Redis.RedisProviderStateStore(
                        new SkFallback.Redis.RedisProviderStateOptions { ConnectionMultiplexer = redis, KeyPrefix = $"{keyPrefix.TrimEnd(':')}:chain:{name}" },
                        loggers.CreateLogger<SkFallback.Redis.RedisProviderStateStore>(), time);
                    disposables.Add(shared);
                }

                built.Add((name, chain, new FallbackChatClient(chain, [new AnthropicProviderClientFactory()], loggers, time, shared, ledger: ledger, eventLog: events)));
            }
            catch (OptionsValidationException exception)
            {
                errors.AddRange(exception.Failures.Select(f => f.Replace(FallbackOptions.SectionName + ":", section + ":", StringComparison.Ordinal)));
            }
        }
    }

    /// <summary>
    /// The fallback-event log every chain of the gateway writes to (section <c>SkFallback:Events</c>), when enabled: an
    /// <see cref="IFallbackEventSink"/>, <c>IRedactorProvider</c> or <see cref="IFallbackEventRedactor"/>s registered in
    /// the host are used; provider keys and the development key are redacted with the chains' own.
    /// </summary>
    private static FallbackEventLog? CreateEventLog(WebApplication app, ConfigurationManager configuration, List<(string Name, string Section, FallbackOptions Options)> chains,
        string? developmentKey, ILoggerFactory loggers, TimeProvider time, List<IDisposable> disposables, List<string> errors)
    {
        var options = new FallbackEventOptions();
        try
        {
            configuration.GetSection(FallbackOptions.SectionName + ":Events").Bind(options);
            if (!options.Enabled)
            {
                return null;
            }

            var secrets = chains.SelectMany(c => c.Options.Providers).Select(p => p.ApiKey).Append(developmentKey).OfType<string>();
            var log = new FallbackEventLog(options, app.Services.GetService<IFallbackEventSink>(), loggers, time,
                app.Services.GetService<Microsoft.Extensions.Compliance.Redaction.IRedactorProvider>(), app.Services.GetServices<IFallbackEventRedactor>(), secrets);
            disposables.Add(log);
            return log;
        }
        catch (Exception exception) when (exception is ArgumentException or InvalidOperationException)
        {
            errors.Add(exception is ArgumentException ? exception.Message.Split(" (Parameter", 2)[0] : $"{FallbackOptions.SectionName}:Events: {exception.Message}");
            return null;
        }
    }

    private sealed class Disposables(List<IDisposable> items) : IDisposable
    {
        public void Dispose()
        {
            // Chains' stores before the connection they share (it was added last).
            foreach (var item in items)
            {
                item.Dispose();
            }
        }
    }

    /// <summary>
    /// The dashboard, when an admin key's hash is configured or, offline, with the development key as the admin key;
    /// otherwise <see langword="null"/> (and <c>/</c> stays a 404).
    /// </summary>
    private static (DashboardData Data, DashboardEndpoints Endpoints)? CreateDashboard(GatewayOptions options, string? developmentKey,
        List<(string Name, string Section, FallbackOptions Options)> chains, ChainCatalog catalog, GatewayKeyStore keys, GatewayLedger ledger, TimeProvider time)
    {
        var settings = options.Dashboard;
        byte[] adminDigest;
        if (GatewayKeyHash.TryParse(settings.AdminKeyHash, out var configured))
        {
            adminDigest = configured;
        }
        else if (developmentKey is not null)
        {
            adminDigest = GatewayKeyHash.Digest(developmentKey);
        }
        else
        {
            return null;
        }

        var tenantLimits = new Dictionary<string, decimal>(StringComparer.OrdinalIgnoreCase);
        foreach (var (_, _, chain) in chains)
        {
            foreach (var (tenant, limit) in chain.Budget.TenantDailyLimits)
            {
                if (limit < GatewayLedger.NoTenantLimit)
                {
                    tenantLimits.TryAdd(tenant, limit);
                }
            }
        }

        var activity = new GatewayActivity(settings.History, settings.RecentFallbacks);
        var data = new DashboardData(catalog, keys.Keys, ledger, activity, tenantLimits, settings.EvalRunFile, time);
        return (data, new DashboardEndpoints(new DashboardSessions(adminDigest, time), data, settings.RefreshSeconds));
    }

    private static void Map(WebApplication app, ChatGateway gateway, ChainCatalog catalog, GatewayKeyStore keys, GatewayState state, DashboardEndpoints? dashboard)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("SkFallback.Proxy");
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context).ConfigureAwait(false);
            }
            catch (BadHttpRequestException exception) when (!context.Response.HasStarted)
            {
                await WireErrors.WriteAsync(context, WireErrors.WireOf(context.Request.Path),
                    new GatewayError(exception.StatusCode, "invalid_request_error", null, null, "The request could not be read.")).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                // The client went away; nothing to answer.
            }
            catch (Exception exception) when (!context.Response.HasStarted)
            {
                GatewayLog.Unhandled(logger, context.Request.Path.Value ?? string.Empty, exception.GetType().Name);
                await WireErrors.WriteAsync(context, WireErrors.WireOf(context.Request.Path),
                    new GatewayError(500, "api_error", "internal_error", null, "The gateway failed to process the request.")).ConfigureAwait(false);
            }
        });

        var openAI = new OpenAIChatEndpoint(gateway);
        var models = new ModelsEndpoint(catalog, keys);
        var operations = new OperationsEndpoints(catalog, state);
        var anthropic = new Anthropic.AnthropicMessagesEndpoint(gateway);
        app.MapPost("/v1/chat/completions", openAI.HandleAsync);
        app.MapPost("/v1/messages", anthropic.HandleAsync);
        app.MapGet("/v1/models", models.ListAsync);
        app.MapGet("/v1/models/{id}", context => models.GetAsync(context, context.Request.RouteValues["id"] as string ?? string.Empty));
        app.MapGet("/healthz", OperationsEndpoints.LiveAsync);
        app.MapGet("/readyz", operations.ReadyAsync);
        app.MapGet("/v1/providers/health", operations.ProviderHealthAsync);
        dashboard?.Map(app);
        if (app.Services.GetService<OpenTelemetry.Metrics.MeterProvider>() is not null)
        {
            Operations.GatewayMetrics.Map(app);
        }
        app.MapFallback(context => WireErrors.WriteAsync(context, WireErrors.WireOf(context.Request.Path),
            new GatewayError(404, "invalid_request_error", "unknown_url", null, $"Unknown request URL: {context.Request.Method} {context.Request.Path}.")));
    }
}
