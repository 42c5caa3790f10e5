using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SkFallback.Simulator;
using static SkFallback.Cli.Tests.SimulatedChain;

namespace SkFallback.Cli.Tests.Events;

/// <summary>
/// The log as the library writes it: a chain from configuration with <c>SkFallback:Events</c> on, called over HTTP
/// against the simulator while its primary is down, then read by <c>events</c> and scored by <c>eval events</c>.
/// </summary>
public sealed class EventLogOverHttpTests
{
    [Fact]
    public async Task EventsAndEvalEvents_LogWrittenByTheChain_CountsFallbacksAndFlagsTheDriftedBackup()
    {
        await using var chain = await StartAsync();
        var directory = chain.Folder.File("events");
        chain.Simulator.Model(BackupModel).Answer("What is the capital of Germany?", "Munich.");
        var configuration = new ConfigurationBuilder().AddJsonFile(chain.Config).AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["SkFallback:Events:Enabled"] = "true",
            ["SkFallback:Events:Directory"] = directory,
            ["SkFallback:Events:SampleRate"] = "1",
            ["SkFallback:Events:FallbackSampleRate"] = "1",
        }).Build();
        var services = new ServiceCollection().AddSkFallbackAnthropic();
        services.AddFallbackChatClient(configuration.GetSection("SkFallback"));
        await using (var provider = services.BuildServiceProvider())
        {
            var client = provider.GetRequiredService<IChatClient>();
            var ct = TestContext.Current.CancellationToken;
            await client.GetResponseAsync("What is the capital of France?", cancellationToken: ct);
            chain.Simulator.Model(PrimaryModel).Always(SimulatedBehavior.ServerError(503));
            await client.GetResponseAsync("What is the capital of France?", cancellationToken: ct);
            await client.GetResponseAsync("What is the capital of Germany?", cancellationToken: ct);
        }

        var stats = await CliHarness.RunAsync("events", "stats", "--dir", directory, "--json");
        var list = await CliHarness.RunAsync("events", "list", "--dir", directory, "--reason", "ServerError");
        var review = await CliHarness.RunAsync("eval", "events", "--dir", directory, "--dataset", chain.Dataset, "--json", "--fail-on-review");

        Assert.True(stats.Exit == ExitCodes.Success, stats.ToString());
        var counts = JsonNode.Parse(stats.Out)!;
        Assert.Equal(3, counts["events"]!.GetValue<int>());
        var outcomes = counts["outcomes"]!.AsArray().ToDictionary(o => o!["outcome"]!.GetValue<string>(), o => o!["events"]!.GetValue<int>());
        Assert.Equal(2, outcomes["fell_back"]);
        Assert.Equal(1, outcomes["answered"]);
        Assert.Contains("primary ServerError 503 -> backup ok", list.Out, StringComparison.Ordinal);
        Assert.True(review.Exit == ExitCodes.Regression, review.ToString());
        var reviewed = JsonNode.Parse(review.Out)!["events"]!.AsArray().ToDictionary(e => e!["reference"]!.GetValue<string>(), e => e!["passed"]!.GetValue<bool>());
        Assert.Equal(new Dictionary<string, bool> { ["capital-fr"] = true, ["capital-de"] = false }, reviewed);
    }
}
