namespace SkFallback.Cli;

/// <summary>The exit codes of <c>skfallback</c>, the same for every command.</summary>
internal static class ExitCodes
{
    /// <summary>Done; for <c>eval compare</c>, no provider regressed.</summary>
    public const int Success = 0;

    /// <summary><c>eval compare</c>: at least one target's quality fell by more than the threshold.</summary>
    public const int Regression = 1;

    /// <summary>The command line or its inputs are wrong (unknown option, missing file, bad dataset or configuration).</summary>
    public const int Usage = 2;

    /// <summary>The command failed while running (a provider or file error it could not go on from).</summary>
    public const int Failure = 3;
}
