using Microsoft.Extensions.Options;

namespace SkFallback.Caching;

/// <summary>Validates <see cref="SemanticCacheOptions"/>; every message names the configuration key at fault and the allowed values.</summary>
public sealed class SemanticCacheOptionsValidator : IValidateOptions<SemanticCacheOptions>
{
    /// <summary>Initializes a new instance of the <see cref="SemanticCacheOptionsValidator"/> class.</summary>
    /// <param name="sectionName">The configuration section the options came from, used as the key prefix.</param>
    public SemanticCacheOptionsValidator(string sectionName = SemanticCacheOptions.SectionName)
    {
        SectionName = sectionName;
    }

    /// <summary>Gets the key prefix used in messages.</summary>
    public string SectionName { get; }

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, SemanticCacheOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = Errors(options);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>Validates the options and throws <see cref="OptionsValidationException"/> listing every problem.</summary>
    /// <param name="options">The options.</param>
    /// <param name="sectionName">The key prefix for messages.</param>
    public static void ThrowIfInvalid(SemanticCacheOptions options, string sectionName = SemanticCacheOptions.SectionName)
    {
        var result = new SemanticCacheOptionsValidator(sectionName).Validate(Options.DefaultName, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(SemanticCacheOptions), result.Failures);
        }
    }

    private List<string> Errors(SemanticCacheOptions options)
    {
        var errors = new List<string>();
        var p = SectionName;
        if (options.TimeToLive < TimeSpan.FromSeconds(1) || options.TimeToLive > TimeSpan.FromDays(30))
        {
            errors.Add($"{p}:TimeToLive must be between 00:00:01 and 30.00:00:00 (was {options.TimeToLive}).");
        }

        if (options.MaxEntries is < 1 or > 10_000_000)
        {
            errors.Add($"{p}:MaxEntries must be between 1 and 10000000 (was {options.MaxEntries}).");
        }

        if (float.IsNaN(options.SimilarityThreshold) || options.SimilarityThreshold < 0.5f || options.SimilarityThreshold > 1f)
        {
            errors.Add($"{p}:SimilarityThreshold must be between 0.5 and 1 (was {options.SimilarityThreshold.ToString(System.Globalization.CultureInfo.InvariantCulture)}).");
        }

        if (options.MaxCandidates is < 1 or > 64)
        {
            errors.Add($"{p}:MaxCandidates must be between 1 and 64 (was {options.MaxCandidates}).");
        }

        if (string.IsNullOrEmpty(options.Namespace) || options.Namespace.Length > 64 || !options.Namespace.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            errors.Add($"{p}:Namespace must be 1 to 64 letters, digits, '-' or '_' (was '{options.Namespace}').");
        }

        if (options.MinQualityTier is < 1 or > 5)
        {
            errors.Add($"{p}:MinQualityTier must be between 1 and 5 (was {options.MinQualityTier}).");
        }

        if (options.RefusalPhrases is { } phrases)
        {
            for (var i = 0; i < phrases.Count; i++)
            {
                if (string.IsNullOrWhiteSpace(phrases[i]))
                {
                    errors.Add($"{p}:RefusalPhrases:{i} must not be empty.");
                }
            }
        }

        return errors;
    }
}
