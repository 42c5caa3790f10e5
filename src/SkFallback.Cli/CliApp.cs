using System.CommandLine;
using Microsoft.Extensions.Options;
using SkFallback.Cli.Commands.Eval;
using SkFallback.Cli.Commands.Events;
using SkFallback.Cli.Evaluation;

namespace SkFallback.Cli;

/// <summary>The <c>skfallback</c> root command and how a command line becomes an exit code (see <see cref="ExitCodes"/>).</summary>
internal static class CliApp
{
    /// <summary>Builds the command tree.</summary>
    public static RootCommand Root(CliEnvironment environment)
    {
        var root = new RootCommand("skfallback: evaluate the providers of a fallback chain and read its fallback-event log.")
        {
            EvalCommand.Create(environment),
            EventsCommand.Create(environment),
        };
        return root;
    }

    /// <summary>Parses and runs one command line; usage errors exit 2 with the message on standard error.</summary>
    public static async Task<int> RunAsync(string[] args, CliEnvironment environment, CancellationToken cancellationToken)
    {
        var parsed = Root(environment).Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                await environment.Error.WriteLineAsync("skfallback: " + error.Message);
            }

            await environment.Error.WriteLineAsync("Try 'skfallback --help'.");
            return ExitCodes.Usage;
        }

        try
        {
            var invocation = new InvocationConfiguration { Output = environment.Out, Error = environment.Error, EnableDefaultExceptionHandler = false };
            return await parsed.InvokeAsync(invocation, cancellationToken);
        }
        catch (Exception exception) when (exception is CliUsageException or GoldenSetFormatException or OptionsValidationException)
        {
            await environment.Error.WriteLineAsync("skfallback: " + exception.Message);
            return ExitCodes.Usage;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await environment.Error.WriteLineAsync("skfallback: cancelled");
            return ExitCodes.Failure;
        }
#pragma warning disable CA1031 // The tool's last line of defence: any failure becomes a message and exit code 3, never a stack trace.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            await environment.Error.WriteLineAsync($"skfallback: {exception.GetType().Name}: {exception.Message}");
            return ExitCodes.Failure;
        }
    }
}
