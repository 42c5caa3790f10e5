using System.Text;

namespace SkFallback;

/// <summary>
/// Thrown when no provider in a fallback chain produced an answer. <see cref="Attempts"/> lists every attempt
/// and skip, in order, so the caller sees why each provider failed.
/// </summary>
public sealed class FallbackExhaustedException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="FallbackExhaustedException"/> class.</summary>
    public FallbackExhaustedException()
        : this("Every provider in the fallback chain failed.", [], innerException: null)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="FallbackExhaustedException"/> class.</summary>
    /// <param name="message">The message.</param>
    public FallbackExhaustedException(string message)
        : this(message, [], innerException: null)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="FallbackExhaustedException"/> class.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The last provider failure.</param>
    public FallbackExhaustedException(string message, Exception? innerException)
        : this(message, [], innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="FallbackExhaustedException"/> class.</summary>
    /// <param name="message">A one-line summary.</param>
    /// <param name="attempts">Every attempt of the call, in order.</param>
    /// <param name="innerException">The last provider failure, when there was an exception.</param>
    /// <param name="outputCommitted">Whether part of a streamed answer had already reached the caller.</param>
    public FallbackExhaustedException(string message, IReadOnlyList<FallbackAttempt> attempts, Exception? innerException, bool outputCommitted = false)
        : base(Describe(message, attempts), innerException)
    {
        Attempts = attempts ?? [];
        OutputCommitted = outputCommitted;
    }

    /// <summary>Gets every attempt of the call, in order, including providers skipped while cooling down.</summary>
    public IReadOnlyList<FallbackAttempt> Attempts { get; }

    /// <summary>Gets a value indicating whether part of a streamed answer had already been delivered when the chain gave up.</summary>
    public bool OutputCommitted { get; }

    private static string Describe(string message, IReadOnlyList<FallbackAttempt>? attempts)
    {
        if (attempts is null || attempts.Count == 0)
        {
            return message;
        }

        var builder = new StringBuilder(message);
        foreach (var attempt in attempts)
        {
            builder.AppendLine().Append("  - ").Append(attempt);
        }

        return builder.ToString();
    }
}
