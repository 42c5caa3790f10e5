using System.Globalization;
using SkFallback.Proxy;
using SkFallback.Proxy.Configuration;
using SkFallback.Proxy.Keys;

if (args.Length >= 2 && args[0] == "keys" && args[1] == "create")
{
    return KeysCommand.Create(args[2..], Console.Out, Console.Error);
}

if (args.Length >= 1 && args[0] is "--help" or "-h")
{
    Console.WriteLine("""
        SkFallback gateway: OpenAI- and Anthropic-compatible endpoints over fallback chains.

          dotnet run --project src/SkFallback.Proxy [-- --urls http://127.0.0.1:5100]
              serves SkFallback:Chains (appsettings.json, environment SkFallback__...); with no chain configured,
              serves the built-in provider simulator with a development key (printed).
          dotnet run --project src/SkFallback.Proxy -- keys create --tenant NAME [--id ID] [--models a,b] [--rpm N] [--tpm N] [--daily USD] [--monthly USD]
              prints a new gateway key once, and the configuration entry holding only its hash.
        """);
    return 0;
}

GatewayServer server;
try
{
    server = await GatewayServer.StartAsync(new GatewayStartOptions { Args = args }).ConfigureAwait(false);
}
catch (GatewayConfigurationException exception)
{
    await Console.Error.WriteLineAsync("SkFallback gateway: invalid configuration").ConfigureAwait(false);
    foreach (var error in exception.Errors)
    {
        await Console.Error.WriteLineAsync("  - " + error).ConfigureAwait(false);
    }

    return 2;
}

await using (server.ConfigureAwait(false))
{
    var root = server.BaseUri.ToString().TrimEnd('/');
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"SkFallback gateway listening on {root}"));
    Console.WriteLine($"  models: {string.Join(", ", server.Catalog.Models.Select(m => m.Name))}");
    if (server.Simulator is { } simulator)
    {
        Console.WriteLine($"  offline: provider simulator at {simulator.BaseUri} behind each chain");
        Console.WriteLine($"  development key: {server.DevelopmentKey}");
        Console.WriteLine($"  dashboard: {root}/ (sign in with the development key)");
        Console.WriteLine("  try:");
        Console.WriteLine($"    curl -s {root}/v1/chat/completions -H \"Authorization: Bearer {server.DevelopmentKey}\" -H \"Content-Type: application/json\" -d '{{\"model\":\"default\",\"messages\":[{{\"role\":\"user\",\"content\":\"Hello!\"}}]}}'");
    }

    else if (server.DashboardEnabled)
    {
        Console.WriteLine($"  dashboard: {root}/ (sign in with the admin key)");
    }

    Console.WriteLine("Press Ctrl+C to stop.");
    await server.WaitForShutdownAsync().ConfigureAwait(false);
}

return 0;
