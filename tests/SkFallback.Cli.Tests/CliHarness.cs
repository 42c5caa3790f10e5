namespace SkFallback.Cli.Tests;

/// <summary>What one in-process invocation of the tool printed and returned.</summary>
internal sealed record CliRun(int Exit, string Out, string Error)
{
    public override string ToString() => $"exit {Exit}\n--- stdout\n{Out}\n--- stderr\n{Error}";
}

/// <summary>Invokes the root command in process with string writers for standard output and error.</summary>
internal static class CliHarness
{
    public static async Task<CliRun> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await CliApp.RunAsync(args, CliEnvironment.Over(output, error), TestContext.Current.CancellationToken);
        return new CliRun(exit, output.ToString(), error.ToString());
    }
}
