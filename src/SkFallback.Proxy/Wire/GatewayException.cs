namespace SkFallback.Proxy.Wire;

/// <summary>Ends a request with a <see cref="GatewayError"/> (bad input, authentication, limits); never carries secrets.</summary>
internal sealed class GatewayException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="GatewayException"/> class.</summary>
    public GatewayException()
        : this(new GatewayError(500, "api_error", null, null, "The gateway failed."))
    {
    }

    /// <summary>Initializes a new instance of the <see cref="GatewayException"/> class.</summary>
    /// <param name="message">The message.</param>
    public GatewayException(string message)
        : this(new GatewayError(500, "api_error", null, null, message))
    {
    }

    /// <summary>Initializes a new instance of the <see cref="GatewayException"/> class.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public GatewayException(string message, Exception innerException)
        : base(message, innerException)
    {
        Error = new GatewayError(500, "api_error", null, null, message);
    }

    /// <summary>Initializes a new instance of the <see cref="GatewayException"/> class.</summary>
    /// <param name="error">The error to answer with.</param>
    public GatewayException(GatewayError error)
        : base(error?.Message)
    {
        ArgumentNullException.ThrowIfNull(error);
        Error = error;
    }

    /// <summary>Gets the error to answer with.</summary>
    public GatewayError Error { get; }
}
