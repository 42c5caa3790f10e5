namespace SkFallback.Cli;

/// <summary>A command used wrongly (a missing file, an unknown provider): reported without a stack trace, exit code 2.</summary>
internal sealed class CliUsageException : Exception
{
    /// <summary>Initializes a new instance with a message.</summary>
    public CliUsageException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance with no message.</summary>
    public CliUsageException()
    {
    }

    /// <summary>Initializes a new instance with a message and a cause.</summary>
    public CliUsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
