using SkFallback.Cli;

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // First Ctrl+C cancels the run cleanly (in-flight calls are cancelled); a second one kills the process.
    e.Cancel = !cancellation.IsCancellationRequested;
    cancellation.Cancel();
};
return await CliApp.RunAsync(args, CliEnvironment.FromSystemConsole(), cancellation.Token);
