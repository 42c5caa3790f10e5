using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using SkFallback.Diagnostics;

namespace SkFallback;

/// <summary>
/// Validates <see cref="FallbackOptions"/> at startup. Every message names the configuration key at fault
/// (for example <c>SkFallback:Providers:1:ApiKey</c>) and the allowed values.
/// </summary>
public sealed partial class FallbackOptionsValidator : IValidateOptions<FallbackOptions>
{
    private static readonly TimeSpan MaxTimeout = TimeSpan.FromHours(1);

    /// <summary>Initializes a new instance of the <see cref="FallbackOptionsValidator"/> class.</summary>
    /// <param name="sectionName">The configuration section the options came from, used as the key prefix.</param>
    public FallbackOptionsValidator(string sectionName = FallbackOptions.SectionName)
        : this(sectionName, null)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="FallbackOptionsValidator"/> class that also accepts custom routing policies.</summary>
    /// <param name="sectionName">The configuration section the options came from, used as the key prefix.</param>
    /// <param name="routingPolicyNames">The names of routing policies given to the chain beyond the built-in ones.</param>
    public FallbackOptionsValidator(string sectionName, IEnumerable<string>? routingPolicyNames)
    {
        SectionName = sectionName;
        _policyNames = new HashSet<string>([Routing.RoutingPolicyNames.Ordered, Routing.RoutingPolicyNames.Cheapest, Routing.RoutingPolicyNames.Conditional], StringComparer.OrdinalIgnoreCase);
        foreach (var name in routingPolicyNames ?? [])
        {
            _policyNames.Add(name);
        }
    }

    private readonly HashSet<string> _policyNames;

    /// <summary>Gets the key prefix used in messages.</summary>
    public string SectionName { get; }

    /// <summary>Kinds that reach a hosted service and therefore need an API key.</summary>
    private static readonly HashSet<string> KindsNeedingKey = new(StringComparer.OrdinalIgnoreCase)
    {
        ProviderKinds.OpenAI, ProviderKinds.Anthropic, ProviderKinds.Mistral, ProviderKinds.DeepSeek,
        ProviderKinds.Qwen, ProviderKinds.Gemini, ProviderKinds.OpenRouter,
    };

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, FallbackOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = Errors(options);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>Validates the options and throws <see cref="OptionsValidationException"/> listing every problem.</summary>
    /// <param name="options">The options.</param>
    /// <param name="sectionName">The key prefix for messages.</param>
    /// <param name="routingPolicyNames">The names of routing policies given to the chain beyond the built-in ones.</param>
    public static void ThrowIfInvalid(FallbackOptions options, string sectionName = FallbackOptions.SectionName, IEnumerable<string>? routingPolicyNames = null)
    {
        var result = new FallbackOptionsValidator(sectionName, routingPolicyNames).Validate(Options.DefaultName, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(FallbackOptions), result.Failures);
        }
    }

    private List<string> Errors(FallbackOptions options)
    {
        var errors = new List<string>();
        var p = SectionName;

        if (options.Providers.Count == 0)
        {
            errors.Add($"{p}:Providers must list at least one provider (none configured).");
        }

        Range(errors, $"{p}:RetryBudget", options.RetryBudget, 0, 100);
        Bytes(errors, $"{p}:MaxResponseBytes", options.MaxResponseBytes, 64 * 1024, 4L * 1024 * 1024 * 1024);
        Bytes(errors, $"{p}:MaxResponseLineBytes", options.MaxResponseLineBytes, 4 * 1024, Math.Max(4 * 1024, options.MaxResponseBytes));
        Range(errors, $"{p}:MaxRetriesPerProvider", options.MaxRetriesPerProvider, 0, 10);
        Duration(errors, $"{p}:RetryBaseDelay", options.RetryBaseDelay, TimeSpan.Zero, TimeSpan.FromMinutes(1), allowInfinite: false);
        Duration(errors, $"{p}:RetryMaxDelay", options.RetryMaxDelay, TimeSpan.Zero, TimeSpan.FromMinutes(5), allowInfinite: false);
        Duration(errors, $"{p}:Deadline", options.Deadline, TimeSpan.FromMilliseconds(1), MaxTimeout, allowInfinite: true);
        Duration(errors, $"{p}:AttemptTimeout", options.AttemptTimeout, TimeSpan.FromMilliseconds(1), MaxTimeout, allowInfinite: true);
        Duration(errors, $"{p}:FirstTokenTimeout", options.FirstTokenTimeout, TimeSpan.FromMilliseconds(1), MaxTimeout, allowInfinite: true);
        Duration(errors, $"{p}:DefaultRateLimitCooldown", options.DefaultRateLimitCooldown, TimeSpan.Zero, MaxTimeout, allowInfinite: false);

        ValidateBreaker(errors, options.CircuitBreaker);
        if (options.FallbackOn?.Contains(FailureKind.Cancelled) == true)
        {
            errors.Add($"{p}:FallbackOn must not contain Cancelled: caller cancellation is never a fallback reason.");
        }

        ValidateRouting(errors, options);
        ValidateStreaming(errors, options.Streaming);
        Events.FallbackEventOptionsValidator.Validate(errors, $"{p}:Events", options.Events);
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < options.Providers.Count; i++)
        {
            var key = $"{p}:Providers:{i}";
            var provider = options.Providers[i];
            if (provider is null)
            {
                errors.Add($"{key} is empty.");
                continue;
            }

            ValidateProvider(errors, key, provider, names, options.AllowModelAliases);
        }

        return errors;
    }

    private void ValidateBreaker(List<string> errors, CircuitBreaking.CircuitBreakerOptions breaker)
    {
        var p = SectionName;
        Range(errors, $"{p}:CircuitBreaker:FailureThreshold", breaker.FailureThreshold, 1, 100);
        Duration(errors, $"{p}:CircuitBreaker:BreakDuration", breaker.BreakDuration, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10), allowInfinite: false);
        Duration(errors, $"{p}:CircuitBreaker:MaxBreakDuration", breaker.MaxBreakDuration, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1), allowInfinite: false);
        if (breaker.MaxBreakDuration < breaker.BreakDuration)
        {
            errors.Add($"{p}:CircuitBreaker:MaxBreakDuration ({breaker.MaxBreakDuration}) must be at least {p}:CircuitBreaker:BreakDuration ({breaker.BreakDuration}).");
        }

        if (double.IsNaN(breaker.Jitter) || breaker.Jitter < 0 || breaker.Jitter > 0.5)
        {
            errors.Add($"{p}:CircuitBreaker:Jitter must be between 0 and 0.5 (was {breaker.Jitter}).");
        }
    }

    private void ValidateStreaming(List<string> errors, Streaming.StreamingOptions streaming)
    {
        var p = SectionName;
        Range(errors, $"{p}:Streaming:CommitChunks", streaming.CommitChunks, 0, 1000);
        Duration(errors, $"{p}:Streaming:CommitDelay", streaming.CommitDelay, TimeSpan.Zero, TimeSpan.FromMinutes(1), allowInfinite: false);
        Duration(errors, $"{p}:Streaming:StallTimeout", streaming.StallTimeout, TimeSpan.FromMilliseconds(1), MaxTimeout, allowInfinite: true);
        Duration(errors, $"{p}:Streaming:StallFloor", streaming.StallFloor, TimeSpan.FromMilliseconds(1), MaxTimeout, allowInfinite: false);
        Factor(errors, $"{p}:Streaming:StallFactor", streaming.StallFactor);
        if (!Enum.IsDefined(streaming.Mode))
        {
            errors.Add($"{p}:Streaming:Mode '{streaming.Mode}' is not a streaming mode (allowed: {string.Join(", ", Enum.GetNames<Streaming.StreamingMode>())}).");
        }
    }

    private void ValidateProvider(List<string> errors, string key, ProviderOptions provider, HashSet<string> names, bool allowModelAliases)
    {
        var p = SectionName;
        if (string.IsNullOrWhiteSpace(provider.Name))
        {
            errors.Add($"{key}:Name is required.");
        }
        else if (!names.Add(provider.Name))
        {
            errors.Add($"{key}:Name '{provider.Name}' duplicates an earlier provider's name; names must be unique.");
        }

        var kind = ProviderKinds.All.FirstOrDefault(k => string.Equals(k, provider.Kind, StringComparison.OrdinalIgnoreCase));
        if (kind is null)
        {
            errors.Add($"{key}:Kind '{provider.Kind}' is not a known provider kind (allowed: {string.Join(", ", ProviderKinds.All)}).");
        }

        if (string.IsNullOrWhiteSpace(provider.Model))
        {
            errors.Add($"{key}:Model is required (a pinned model id such as gpt-4o-2024-08-06).");
        }
        else if (!allowModelAliases && IsAlias(provider.Model))
        {
            errors.Add($"{key}:Model '{provider.Model}' is a moving alias; pin a dated model version, or set {p}:AllowModelAliases to true.");
        }

        if (kind is not null && KindsNeedingKey.Contains(kind) && string.IsNullOrWhiteSpace(provider.ApiKey))
        {
            errors.Add($"{key}:ApiKey is required for kind '{kind}'.");
        }

        if (string.Equals(kind, ProviderKinds.OpenAICompatible, StringComparison.Ordinal) && provider.Endpoint is null)
        {
            errors.Add($"{key}:Endpoint is required for kind '{ProviderKinds.OpenAICompatible}' (the base URL, e.g. http://localhost:8000/v1).");
        }

        if (provider.Endpoint is { IsAbsoluteUri: false })
        {
            errors.Add($"{key}:Endpoint '{SecretRedactor.RedactUrl(provider.Endpoint)}' must be an absolute http(s) URL.");
        }
        else if (provider.Endpoint is { } endpoint && endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps)
        {
            errors.Add($"{key}:Endpoint must use http or https (was {endpoint.Scheme}).");
        }

        if (string.Equals(kind, ProviderKinds.Custom, StringComparison.Ordinal) && provider.Client is null && string.IsNullOrWhiteSpace(provider.ServiceKey))
        {
            errors.Add($"{key}: kind '{ProviderKinds.Custom}' needs a Client (in code) or a ServiceKey naming a keyed IChatClient.");
        }

        ValidateProviderLimits(errors, key, provider);
    }

    private static void ValidateProviderLimits(List<string> errors, string key, ProviderOptions provider)
    {
        if (provider.MaxOutputTokens is < 1)
        {
            errors.Add($"{key}:MaxOutputTokens must be at least 1 (was {provider.MaxOutputTokens}).");
        }

        if (provider.ContextWindow is < 1)
        {
            errors.Add($"{key}:ContextWindow must be at least 1 (was {provider.ContextWindow}).");
        }

        if (provider.MaxRetries is int retries)
        {
            Range(errors, $"{key}:MaxRetries", retries, 0, 10);
        }

        if (provider.AttemptTimeout is TimeSpan attempt)
        {
            Duration(errors, $"{key}:AttemptTimeout", attempt, TimeSpan.FromMilliseconds(1), MaxTimeout, allowInfinite: true);
        }

        if (provider.StallTimeout is TimeSpan stall)
        {
            Duration(errors, $"{key}:StallTimeout", stall, TimeSpan.FromMilliseconds(1), MaxTimeout, allowInfinite: true);
        }

        if (provider.StallFloor is TimeSpan floor)
        {
            Duration(errors, $"{key}:StallFloor", floor, TimeSpan.FromMilliseconds(1), MaxTimeout, allowInfinite: false);
        }

        if (provider.StallFactor is double factor)
        {
            Factor(errors, $"{key}:StallFactor", factor);
        }

        if (provider.FirstTokenTimeout is TimeSpan firstToken)
        {
            Duration(errors, $"{key}:FirstTokenTimeout", firstToken, TimeSpan.FromMilliseconds(1), MaxTimeout, allowInfinite: true);
        }
    }

    private void ValidateRouting(List<string> errors, FallbackOptions options)
    {
        var p = SectionName;
        var routing = options.Routing;
        if (string.IsNullOrWhiteSpace(routing.Policy) || !_policyNames.Contains(routing.Policy))
        {
            errors.Add($"{p}:Routing:Policy '{routing.Policy}' is not a routing policy (allowed: {string.Join(", ", _policyNames.Order(StringComparer.Ordinal))}).");
        }

        if (routing.MaxLatency is { } latency && latency <= TimeSpan.Zero)
        {
            errors.Add($"{p}:Routing:MaxLatency must be positive (was {latency}).");
        }

        if (routing.MinQualityTier is int tier)
        {
            Range(errors, $"{p}:Routing:MinQualityTier", tier, 1, 5);
        }

        var providers = new HashSet<string>(options.Providers.Where(x => x is not null).Select(x => x.Name), StringComparer.OrdinalIgnoreCase);
        for (var r = 0; r < routing.Rules.Count; r++)
        {
            var rule = routing.Rules[r];
            var key = $"{p}:Routing:Rules:{r}";
            if (rule is null)
            {
                errors.Add($"{key} is empty.");
                continue;
            }

            if (rule.Chain.Count == 0)
            {
                errors.Add($"{key}:Chain must name at least one provider.");
            }

            ProviderNames(errors, $"{key}:Chain", rule.Chain, providers);
        }

        if (routing.DefaultChain is { } chain)
        {
            if (chain.Count == 0)
            {
                errors.Add($"{p}:Routing:DefaultChain must name at least one provider when set.");
            }

            ProviderNames(errors, $"{p}:Routing:DefaultChain", chain, providers);
        }

        ValidateHedging(errors, routing.Hedging);
        ValidateBudget(errors, options.Budget);
    }

    private void ValidateHedging(List<string> errors, Routing.HedgingOptions hedging)
    {
        var p = SectionName;
        if (!Enum.IsDefined(hedging.Mode))
        {
            errors.Add($"{p}:Routing:Hedging:Mode '{hedging.Mode}' is not a hedging mode (allowed: {string.Join(", ", Enum.GetNames<Routing.HedgingMode>())}).");
        }

        Range(errors, $"{p}:Routing:Hedging:MaxAttempts", hedging.MaxAttempts, 2, 8);
        Duration(errors, $"{p}:Routing:Hedging:Delay", hedging.Delay, TimeSpan.Zero, MaxTimeout, allowInfinite: false);
        if (double.IsNaN(hedging.MaxExtraAttemptFraction) || hedging.MaxExtraAttemptFraction < 0 || hedging.MaxExtraAttemptFraction > hedging.MaxAttempts - 1)
        {
            errors.Add($"{p}:Routing:Hedging:MaxExtraAttemptFraction must be from 0 to MaxAttempts - 1 = {hedging.MaxAttempts - 1} (was {hedging.MaxExtraAttemptFraction}).");
        }

        if (hedging.MaxExtraCostFraction is { } costFraction && (double.IsNaN(costFraction) || costFraction <= 0 || double.IsInfinity(costFraction)))
        {
            errors.Add($"{p}:Routing:Hedging:MaxExtraCostFraction must be a positive number when set (was {costFraction}).");
        }
    }

    private void ValidateBudget(List<string> errors, Cost.BudgetOptions budget)
    {
        var p = SectionName;
        Positive(errors, $"{p}:Budget:MaxCostPerCall", budget.MaxCostPerCall);
        Positive(errors, $"{p}:Budget:MaxCostPerTurn", budget.MaxCostPerTurn);
        Positive(errors, $"{p}:Budget:DefaultTenantDailyLimit", budget.DefaultTenantDailyLimit);
        foreach (var (tenant, limit) in budget.TenantDailyLimits)
        {
            Positive(errors, $"{p}:Budget:TenantDailyLimits:{tenant}", limit);
        }

        if (double.IsNaN(budget.ReserveMargin) || budget.ReserveMargin < 1 || budget.ReserveMargin > 3)
        {
            errors.Add($"{p}:Budget:ReserveMargin must be between 1 and 3 (was {budget.ReserveMargin}).");
        }

        if (double.IsNaN(budget.MaxOutputOverbill) || budget.MaxOutputOverbill < 1 || budget.MaxOutputOverbill > 100)
        {
            errors.Add($"{p}:Budget:MaxOutputOverbill must be between 1 and 100 (was {budget.MaxOutputOverbill}).");
        }

        Duration(errors, $"{p}:Budget:OverbillHalfLife", budget.OverbillHalfLife, TimeSpan.FromMinutes(1), TimeSpan.FromDays(365), allowInfinite: false);
    }

    private static void ProviderNames(List<string> errors, string key, IList<string> names, HashSet<string> providers)
    {
        for (var i = 0; i < names.Count; i++)
        {
            if (!providers.Contains(names[i] ?? string.Empty))
            {
                errors.Add($"{key}:{i} names '{names[i]}', which is not a provider of the chain ({string.Join(", ", providers)}).");
            }
        }
    }

    private static void Positive(List<string> errors, string key, decimal? value)
    {
        if (value is decimal amount && amount <= 0)
        {
            errors.Add($"{key} must be a positive amount of US dollars (was {amount}).");
        }
    }

    /// <summary>Whether a model id is a moving alias rather than a pinned version.</summary>
    internal static bool IsAlias(string model) => AliasPattern().IsMatch(model);

    private static void Range(List<string> errors, string key, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            errors.Add($"{key} must be between {min} and {max} (was {value}).");
        }
    }

    private static void Duration(List<string> errors, string key, TimeSpan value, TimeSpan min, TimeSpan max, bool allowInfinite)
    {
        if (allowInfinite && value == Timeout.InfiniteTimeSpan)
        {
            return;
        }

        if (value < min || value > max)
        {
            errors.Add($"{key} must be between {min} and {max}{(allowInfinite ? " (or -00:00:00.001 for none)" : string.Empty)} (was {value}).");
        }
    }

    [GeneratedRegex(@"(^|[-.:])latest$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex AliasPattern();

    private static void Factor(List<string> errors, string key, double value)
    {
        if (double.IsNaN(value) || value < 0 || value > 1000)
        {
            errors.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{key} must be between 0 and 1000 (was {value})."));
        }
    }

    private static void Bytes(List<string> errors, string key, long value, long min, long max)
    {
        if (value < min || value > max)
        {
            errors.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{key} must be between {min} and {max} bytes (was {value})."));
        }
    }
}
