using Microsoft.Extensions.Options;

namespace SkFallback.Redis;

/// <summary>Checks <see cref="RedisProviderStateOptions"/> at startup; each message names the key and its allowed range.</summary>
internal sealed class RedisProviderStateOptionsValidator : IValidateOptions<RedisProviderStateOptions>
{
    private const string Section = nameof(RedisProviderStateOptions);

    public ValidateOptionsResult Validate(string? name, RedisProviderStateOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();

        bool hasString = !string.IsNullOrWhiteSpace(options.ConnectionString);
        if (hasString == (options.ConnectionMultiplexer is not null))
        {
            failures.Add($"{Section}.{nameof(options.ConnectionString)} or {Section}.{nameof(options.ConnectionMultiplexer)}: set exactly one of them.");
        }

        if (string.IsNullOrEmpty(options.KeyPrefix) || options.KeyPrefix.Length > 100 || options.KeyPrefix.Any(char.IsWhiteSpace))
        {
            failures.Add($"{Section}.{nameof(options.KeyPrefix)} must be 1–100 characters without whitespace (was '{options.KeyPrefix}').");
        }

        if (string.IsNullOrWhiteSpace(options.ReplicaId) || options.ReplicaId.Length > 200)
        {
            failures.Add($"{Section}.{nameof(options.ReplicaId)} must be 1–200 characters and not blank (was '{options.ReplicaId}').");
        }

        CheckRange(failures, nameof(options.ProbeLease), options.ProbeLease, TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1));
        CheckRange(failures, nameof(options.StateRetention), options.StateRetention, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1));
        CheckRange(failures, nameof(options.ProbeAcquireTimeout), options.ProbeAcquireTimeout, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(5));

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Throws <see cref="OptionsValidationException"/> listing every failure, for the constructor path without DI.</summary>
    internal static void ThrowIfInvalid(RedisProviderStateOptions options)
    {
        var result = new RedisProviderStateOptionsValidator().Validate(Options.DefaultName, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(RedisProviderStateOptions), result.Failures);
        }
    }

    private static void CheckRange(List<string> failures, string key, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            failures.Add($"{Section}.{key} must be between {min} and {max} (was {value}).");
        }
    }
}
