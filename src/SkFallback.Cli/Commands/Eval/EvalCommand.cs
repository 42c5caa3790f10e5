using System.CommandLine;

namespace SkFallback.Cli.Commands.Eval;

/// <summary><c>skfallback eval</c>: golden-set evaluation of a chain's providers.</summary>
internal static class EvalCommand
{
    /// <summary>Creates the command and its subcommands.</summary>
    public static Command Create(CliEnvironment environment) => new("eval", "Golden-set evaluation: run a set against each provider and the chain, compare with a baseline, report, score fallback events.")
    {
        EvalRunCommand.Create(environment),
        EvalCompareCommand.Create(environment),
        EvalReportCommand.Create(environment),
        EvalEventsCommand.Create(environment),
    };
}
