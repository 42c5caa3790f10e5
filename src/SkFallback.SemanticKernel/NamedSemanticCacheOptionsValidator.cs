using Microsoft.Extensions.Options;
using SkFallback.Caching;

namespace SkFallback.SemanticKernel;

/// <summary>Validates the named <see cref="SemanticCacheOptions"/> of one chat completion registration, with messages that name its configuration keys.</summary>
internal sealed class NamedSemanticCacheOptionsValidator(string optionsName, string sectionName) : IValidateOptions<SemanticCacheOptions>
{
    private readonly SemanticCacheOptionsValidator _validator = new(sectionName);

    public ValidateOptionsResult Validate(string? name, SemanticCacheOptions options) =>
        string.Equals(name, optionsName, StringComparison.Ordinal)
            ? _validator.Validate(name, options)
            : ValidateOptionsResult.Skip;
}
