using Microsoft.Extensions.Options;

namespace SkFallback.Qdrant;

/// <summary>Validates <see cref="QdrantCacheOptions"/>; every message names the configuration key at fault and the allowed values, never the API key.</summary>
public sealed class QdrantCacheOptionsValidator : IValidateOptions<QdrantCacheOptions>
{
    /// <summary>Initializes a new instance of the <see cref="QdrantCacheOptionsValidator"/> class.</summary>
    /// <param name="sectionName">The configuration section the options came from, used as the key prefix in messages.</param>
    public QdrantCacheOptionsValidator(string sectionName = QdrantCacheOptions.SectionName)
    {
        ArgumentException.ThrowIfNullOrEmpty(sectionName);
        SectionName = sectionName;
    }

    /// <summary>Gets the key prefix used in messages.</summary>
    public string SectionName { get; }

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, QdrantCacheOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = Errors(options);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>Validates the options and throws <see cref="OptionsValidationException"/> listing every problem.</summary>
    /// <param name="options">The options.</param>
    /// <param name="sectionName">The key prefix for messages.</param>
    public static void ThrowIfInvalid(QdrantCacheOptions options, string sectionName = QdrantCacheOptions.SectionName)
    {
        var result = new QdrantCacheOptionsValidator(sectionName).Validate(Options.DefaultName, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(QdrantCacheOptions), result.Failures);
        }
    }

    /// <summary>The scheme, host and port of <paramref name="endpoint"/>: what may appear in messages and logs.</summary>
    internal static string Describe(Uri endpoint) => $"{endpoint.Scheme}://{endpoint.Authority}";

    private List<string> Errors(QdrantCacheOptions options)
    {
        var errors = new List<string>();
        var p = SectionName;
        if (string.IsNullOrWhiteSpace(options.Endpoint))
        {
            errors.Add($"{p}:Endpoint is required: the address of Qdrant's gRPC API, for example http://127.0.0.1:6334.");
        }
        else if (!Uri.TryCreate(options.Endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            errors.Add($"{p}:Endpoint must be an absolute http or https URI such as http://127.0.0.1:6334.");
        }
        else if (uri.UserInfo.Length > 0)
        {
            // The value is not repeated: it holds a credential.
            errors.Add($"{p}:Endpoint must not carry a user name or password; put the key in {p}:ApiKey.");
        }
        else if (uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            errors.Add($"{p}:Endpoint must be scheme, host and port only, with no path or query (was '{Describe(uri)}{uri.PathAndQuery}').");
        }

        if (options.ApiKey is { } key && (key.Length == 0 || key.Any(char.IsWhiteSpace)))
        {
            errors.Add($"{p}:ApiKey must not be empty or contain whitespace when set.");
        }

        if (string.IsNullOrEmpty(options.CollectionPrefix) || options.CollectionPrefix.Length > 64
            || !options.CollectionPrefix.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            errors.Add($"{p}:CollectionPrefix must be 1 to 64 letters, digits, '-' or '_' (was '{options.CollectionPrefix}').");
        }

        CheckRange(errors, p, nameof(options.Timeout), options.Timeout, TimeSpan.FromMilliseconds(50), TimeSpan.FromMinutes(2));
        CheckRange(errors, p, nameof(options.OutageBackoff), options.OutageBackoff, TimeSpan.Zero, TimeSpan.FromMinutes(10));
        CheckRange(errors, p, nameof(options.CollectionRefreshInterval), options.CollectionRefreshInterval, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        if (options.CleanupInterval != TimeSpan.Zero)
        {
            CheckRange(errors, p, nameof(options.CleanupInterval), options.CleanupInterval, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1));
        }

        return errors;
    }

    private static void CheckRange(List<string> errors, string prefix, string key, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            var zero = key == nameof(QdrantCacheOptions.CleanupInterval) ? " or 00:00:00 to disable it" : string.Empty;
            errors.Add($"{prefix}:{key} must be between {min} and {max}{zero} (was {value}).");
        }
    }
}
