namespace SkFallback;

/// <summary>Which budget a call could not fit in.</summary>
public enum BudgetScope
{
    /// <summary>The per-call limit (<see cref="Cost.BudgetOptions.MaxCostPerCall"/> or <see cref="FallbackMetadataKeys.MaxCostUsd"/>).</summary>
    Call,

    /// <summary>The turn's limit (<see cref="Cost.TurnBudget"/>).</summary>
    Turn,

    /// <summary>The tenant's daily limit.</summary>
    Tenant,
}

/// <summary>
/// Thrown when no provider of the chain can serve a request within its budget. When it is thrown before any
/// provider was contacted (<see cref="BeforeDispatch"/>), nothing was spent.
/// </summary>
public sealed class BudgetExceededException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="BudgetExceededException"/> class.</summary>
    public BudgetExceededException()
        : this("The budget is exceeded.")
    {
    }

    /// <summary>Initializes a new instance of the <see cref="BudgetExceededException"/> class.</summary>
    /// <param name="message">The message.</param>
    public BudgetExceededException(string message)
        : this(message, null)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="BudgetExceededException"/> class.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The inner exception.</param>
    public BudgetExceededException(string message, Exception? innerException)
        : base(message, innerException)
    {
        Attempts = [];
    }

    /// <summary>Initializes a new instance of the <see cref="BudgetExceededException"/> class.</summary>
    /// <param name="message">The message.</param>
    /// <param name="scope">The budget that could not be met.</param>
    /// <param name="remainingUsd">What was left of it.</param>
    /// <param name="attempts">The call's attempts; each candidate the budget ruled out appears with its estimate.</param>
    public BudgetExceededException(string message, BudgetScope scope, decimal remainingUsd, IReadOnlyList<FallbackAttempt> attempts)
        : base(message)
    {
        ArgumentNullException.ThrowIfNull(attempts);
        Scope = scope;
        RemainingUsd = remainingUsd;
        Attempts = attempts;
    }

    /// <summary>Gets the budget that could not be met.</summary>
    public BudgetScope Scope { get; }

    /// <summary>Gets what was left of the budget, in US dollars.</summary>
    public decimal RemainingUsd { get; }

    /// <summary>Gets the call's attempts, including one skipped entry per candidate the budget ruled out.</summary>
    public IReadOnlyList<FallbackAttempt> Attempts { get; }

    /// <summary>Gets a value indicating whether no provider was contacted (nothing was spent).</summary>
    public bool BeforeDispatch => Attempts.All(a => a.Skipped);
}
