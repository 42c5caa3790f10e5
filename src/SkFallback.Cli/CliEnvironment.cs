using Spectre.Console;

namespace SkFallback.Cli;

/// <summary>
/// Where the commands write and what they run on: standard output (tables for people, JSON for scripts with
/// <c>--json</c>), standard error (notes and errors), the console tables are drawn on, and the clock.
/// Tests build one over string writers and invoke the commands in process.
/// </summary>
internal sealed class CliEnvironment
{
    /// <summary>Gets standard output.</summary>
    public required TextWriter Out { get; init; }

    /// <summary>Gets standard error.</summary>
    public required TextWriter Error { get; init; }

    /// <summary>Gets the console tables, colours and progress bars are drawn on (over <see cref="Out"/>).</summary>
    public required IAnsiConsole Console { get; init; }

    /// <summary>Gets whether a person watches a terminal (progress bars are drawn only then).</summary>
    public bool Interactive { get; init; }

    /// <summary>Gets the clock latencies are measured with.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>The process's own console.</summary>
    public static CliEnvironment FromSystemConsole()
    {
        var interactive = !System.Console.IsOutputRedirected && Environment.GetEnvironmentVariable("CI") is null;
        if (System.Console.IsOutputRedirected)
        {
            // A file or a pipe has no width: without this, tables wrap every id at 80 columns.
            AnsiConsole.Console.Profile.Width = 160;
        }

        return new CliEnvironment
        {
            Out = System.Console.Out,
            Error = System.Console.Error,
            Console = AnsiConsole.Console,
            Interactive = interactive,
        };
    }

    /// <summary>An environment over writers: no colours, no progress bars, wide enough that tables do not wrap ids.</summary>
    public static CliEnvironment Over(TextWriter output, TextWriter error, TimeProvider? time = null)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 200;
        return new CliEnvironment { Out = output, Error = error, Console = console, Interactive = false, Time = time ?? TimeProvider.System };
    }
}
