using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SkFallback.CircuitBreaking;

namespace SkFallback.Redis.Tests;

public sealed class RedisProviderStateOptionsTests
{
    [Fact]
    public void Defaults_AreDocumentedValues()
    {
        var options = new RedisProviderStateOptions();

        Assert.Equal("default", options.KeyPrefix);
        Assert.Equal(TimeSpan.FromSeconds(30), options.ProbeLease);
        Assert.Equal(TimeSpan.FromMinutes(10), options.StateRetention);
        Assert.Equal(TimeSpan.FromMilliseconds(50), options.ProbeAcquireTimeout);
        Assert.StartsWith($"{Environment.MachineName}:{Environment.ProcessId}:", options.ReplicaId);
        Assert.NotEqual(options.ReplicaId, new RedisProviderStateOptions().ReplicaId);
    }

    [Theory]
    [InlineData("KeyPrefix")]
    [InlineData("ProbeLease")]
    [InlineData("StateRetention")]
    [InlineData("ProbeAcquireTimeout")]
    [InlineData("ReplicaId")]
    [InlineData("ConnectionString")]
    public void Constructor_InvalidOption_ThrowsNamingTheKey(string key)
    {
        var options = new RedisProviderStateOptions { ConnectionString = "localhost:1" };
        switch (key)
        {
            case "KeyPrefix": options.KeyPrefix = "has space"; break;
            case "ProbeLease": options.ProbeLease = TimeSpan.Zero; break;
            case "StateRetention": options.StateRetention = TimeSpan.FromDays(2); break;
            case "ProbeAcquireTimeout": options.ProbeAcquireTimeout = TimeSpan.FromSeconds(10); break;
            case "ReplicaId": options.ReplicaId = " "; break;
            case "ConnectionString": options.ConnectionString = null; break;
        }

        var ex = Assert.Throws<OptionsValidationException>(() => new RedisProviderStateStore(options));
        Assert.Contains($"RedisProviderStateOptions.{key}", ex.Message);
    }

    [Fact]
    public async Task AddSkFallbackRedis_InvalidOptions_FailsAtStartup()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSkFallbackRedis(o =>
        {
            o.ConnectionString = "localhost:1";
            o.ProbeLease = TimeSpan.FromHours(2);
        });
        using var host = builder.Build();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));
        Assert.Contains("RedisProviderStateOptions.ProbeLease", ex.Message);
    }

    [Fact]
    public async Task AddSkFallbackRedis_ConnectionString_RegistersOneSingletonStoreThatStartsWithoutRedis()
    {
        var services = new ServiceCollection();
        services.AddSkFallbackRedis($"127.0.0.1:{RedisServerProcess.FreePort()}");
        await using var provider = services.BuildServiceProvider();

        var store = provider.GetRequiredService<IProviderStateStore>();

        Assert.IsType<RedisProviderStateStore>(store);
        Assert.Same(store, provider.GetRequiredService<IProviderStateStore>());
        Assert.Same(store, provider.GetRequiredService<RedisProviderStateStore>());
        Assert.True(store.TryAcquireProbe("p/m", TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void AddSkFallbackRedis_AfterAnotherStore_ReplacesIt()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IProviderStateStore, LocalOnlyStore>();
        services.AddSkFallbackRedis("localhost:1");

        var registrations = services.Where(d => d.ServiceType == typeof(IProviderStateStore)).ToList();

        Assert.Single(registrations);
        Assert.Null(registrations[0].ImplementationType);
    }

    private sealed class LocalOnlyStore : IProviderStateStore
    {
        public string ReplicaId => "local";

        public void Publish(ProviderStateChange change)
        {
        }

        public IDisposable Subscribe(Action<ProviderStateChange> onChange) => new CancellationTokenSource();

        public bool TryAcquireProbe(string providerKey, TimeSpan lease) => true;
    }
}
