using Microsoft.Extensions.Options;

namespace SkFallback.SemanticKernel;

/// <summary>Validates the named <see cref="FallbackOptions"/> of one chat completion registration, with messages that name its configuration keys.</summary>
internal sealed class NamedFallbackOptionsValidator(string optionsName, string sectionName) : IValidateOptions<FallbackOptions>
{
    private readonly FallbackOptionsValidator _validator = new(sectionName);

    public ValidateOptionsResult Validate(string? name, FallbackOptions options) =>
        string.Equals(name, optionsName, StringComparison.Ordinal)
            ? _validator.Validate(name, options)
            : ValidateOptionsResult.Skip;
}
