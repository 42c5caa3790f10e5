using System.CommandLine;
using System.Globalization;
using SkFallback.Simulator;

var port = new Option<int>("--port") { Description = "Loopback port to listen on.", DefaultValueFactory = _ => 5080 };
var seed = new Option<int>("--seed") { Description = "Seed of replies, ids and jitter.", DefaultValueFactory = _ => 1 };
var script = new Option<FileInfo?>("--script") { Description = "JSON file {\"models\":{\"model-id\":{\"then\":[...],\"always\":{...}}}}." };
var ttft = new Option<int>("--ttft-ms") { Description = "Default time to first token in milliseconds.", DefaultValueFactory = _ => 0 };
var tokensPerSecond = new Option<double>("--tokens-per-second") { Description = "Default token rate; 0 means no per-token delay.", DefaultValueFactory = _ => 0 };

var root = new RootCommand("SkFallback provider simulator: OpenAI and Anthropic wire formats with scripted faults, on 127.0.0.1.")
{
    port, seed, script, ttft, tokensPerSecond,
};
root.SetAction(async (parseResult, cancellationToken) =>
{
    var options = new SimulatorOptions
    {
        Port = parseResult.GetValue(port),
        Seed = parseResult.GetValue(seed),
        DefaultLatency = new LatencyProfile(TimeSpan.FromMilliseconds(parseResult.GetValue(ttft)), parseResult.GetValue(tokensPerSecond), 0),
    };
    var simulator = await ProviderSimulator.StartAsync(options, cancellationToken).ConfigureAwait(false);
    await using var disposal = simulator.ConfigureAwait(false);
    if (parseResult.GetValue(script) is { } file)
    {
        simulator.LoadScript(await File.ReadAllTextAsync(file.FullName, cancellationToken).ConfigureAwait(false));
    }

    Console.WriteLine(simulator.BaseUri.ToString());
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"OpenAI endpoint:    {simulator.OpenAIEndpoint}"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Anthropic base URL: {simulator.AnthropicEndpoint}"));
    Console.WriteLine("Press Ctrl+C to stop.");
    try
    {
        await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
    }
    catch (OperationCanceledException)
    {
        // Ctrl+C: stop cleanly.
    }

    return 0;
});
return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
