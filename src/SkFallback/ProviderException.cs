namespace SkFallback;

/// <summary>
/// A provider's failure as the chain reports it: the provider client's exception with every credential removed from
/// its text. The <see cref="Exception.InnerException"/> of a <see cref="FallbackExhaustedException"/> is one of these;
/// so is the exception a call ends with when a failure that does not fall back (a caller error) quotes a credential.
/// <see cref="FallbackOptions.ExposeProviderExceptions"/> passes the original on instead.
/// </summary>
public sealed class ProviderException : Exception
{
    private readonly string? _stackTrace;

    /// <summary>Initializes a new instance of the <see cref="ProviderException"/> class.</summary>
    public ProviderException()
        : this("A provider failed.")
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ProviderException"/> class.</summary>
    /// <param name="message">The message, already free of credentials.</param>
    public ProviderException(string message)
        : this(message, innerException: null)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ProviderException"/> class.</summary>
    /// <param name="message">The message, already free of credentials.</param>
    /// <param name="innerException">The cause, already free of credentials.</param>
    public ProviderException(string message, Exception? innerException)
        : base(message, innerException)
    {
        OriginalType = string.Empty;
    }

    internal ProviderException(string message, Exception? innerException, string originalType, string? provider, FailureKind kind, int? statusCode, string? stackTrace)
        : base(message, innerException)
    {
        OriginalType = originalType;
        Provider = provider;
        Kind = kind;
        StatusCode = statusCode;
        _stackTrace = stackTrace;
    }

    /// <summary>Gets the full name of the provider client's exception type (for example <c>System.ClientModel.ClientResultException</c>).</summary>
    public string OriginalType { get; }

    /// <summary>Gets the name of the provider that failed, when known.</summary>
    public string? Provider { get; }

    /// <summary>Gets how the chain classified the failure.</summary>
    public FailureKind Kind { get; }

    /// <summary>Gets the HTTP status the provider answered with, when there was one.</summary>
    public int? StatusCode { get; }

    /// <summary>Gets the stack trace of the provider client's exception (frames carry no credentials).</summary>
    public override string? StackTrace => _stackTrace ?? base.StackTrace;
}
