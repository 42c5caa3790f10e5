namespace SkFallback.Cli.Evaluation;

/// <summary>A golden set line that cannot be read; the message names the file, line and field.</summary>
internal sealed class GoldenSetFormatException : Exception
{
    /// <summary>Initializes a new instance with a message.</summary>
    public GoldenSetFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance with no message.</summary>
    public GoldenSetFormatException()
    {
    }

    /// <summary>Initializes a new instance with a message and a cause.</summary>
    public GoldenSetFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
