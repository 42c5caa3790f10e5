using System.Globalization;
using SkFallback;
using SkFallback.Caching;
using SkFallback.Cost;
using SkFallback.Routing;
using Spectre.Console;

namespace ConsoleAgent;

/// <summary>
/// Reads the chain's spend ledger: after each turn it prints what the answer was estimated to cost before dispatch,
/// what it cost from the usage the provider reported, what the turn was charged in all (failed attempts that reached
/// a model included) and the running spend; at the end, the ledger per provider.
/// </summary>
internal sealed class SpendMonitor
{
    /// <summary>The tenant every call of the agent is tagged with (<see cref="FallbackMetadataKeys.Tenant"/>), so the ledger also totals it.</summary>
    public const string Tenant = "console-agent";

    private readonly FallbackChatClient _chain;
    private SpendTotals _turnStart;

    public SpendMonitor(FallbackChatClient chain)
    {
        _chain = chain;
    }

    /// <summary>Describes a provider's model and its catalog price, e.g. <c>gpt-4o-2024-08-06, $2.50/$10.00 per 1M tokens</c>.</summary>
    public static string Describe(RoutingCandidate candidate) => candidate.Price is { } price
        ? string.Create(CultureInfo.InvariantCulture, $"{candidate.Model}, ${price.InputPerMillion:0.00##}/${price.OutputPerMillion:0.00##} per 1M tokens in/out")
        : $"{candidate.Model}, no catalog price";

    /// <summary>Remembers the ledger's totals at the start of a turn.</summary>
    public void StartTurn() => _turnStart = Totals();

    /// <summary>Prints the turn's cost line from the answers' metadata (one per model round trip) and the ledger.</summary>
    public void ReportTurn(IReadOnlyList<IReadOnlyDictionary<string, object?>> roundTrips)
    {
        decimal? estimated = null;
        decimal? actual = null;
        decimal? saved = null;
        var unpriced = new List<string>();
        foreach (var metadata in roundTrips)
        {
            // A round trip served from the response cache cost nothing; what the original call cost is what it saved.
            if (metadata.ContainsKey(CacheMetadataKeys.Hit))
            {
                saved = (saved ?? 0m) + (Read(metadata, CacheMetadataKeys.SavedCostUsd) ?? 0m);
                actual ??= 0m;
                continue;
            }

            if (Read(metadata, FallbackMetadataKeys.EstimatedCostUsd) is { } estimate)
            {
                estimated = (estimated ?? 0m) + estimate;
            }

            if (Read(metadata, FallbackMetadataKeys.CostUsd) is { } cost)
            {
                actual = (actual ?? 0m) + cost;
            }
            else if (metadata.TryGetValue(FallbackMetadataKeys.Model, out var model) && model is string id)
            {
                unpriced.Add(id);
            }
        }

        var now = Totals();
        var trips = roundTrips.Count > 1 ? $" [grey]({roundTrips.Count} model round trips)[/]" : string.Empty;
        var line = $"cost: estimated [bold]{Usd(estimated)}[/] · actual [bold]{Usd(actual)}[/]{trips}";
        if (saved is { } fromCache)
        {
            line += $" · saved [bold]{Usd(fromCache)}[/] [grey](served from the cache)[/]";
        }

        if (unpriced.Count > 0)
        {
            line += $" [grey](no catalog price for {Markup.Escape(string.Join(", ", unpriced.Distinct()))})[/]";
        }

        AnsiConsole.MarkupLine(line);
        var attempts = now.Attempts - _turnStart.Attempts;
        var turn = now.CostUsd - _turnStart.CostUsd;
        var failed = turn - (actual ?? 0m);
        var note = failed > 0m ? $", {Usd(failed)} on failed ones" : string.Empty;
        AnsiConsole.MarkupLine(
            $"spend: turn {Usd(turn)} [grey]({attempts} attempt{(attempts == 1 ? string.Empty : "s")}{note})[/] · so far [bold]{Usd(now.CostUsd)}[/]");
    }

    /// <summary>Prints a refusal for the budget: nothing was sent, and what each candidate was estimated to cost.</summary>
    public static void ReportRefusal(BudgetExceededException refused)
    {
        AnsiConsole.MarkupLine($"[red]Refused for the {refused.Scope.ToString().ToLowerInvariant()} budget[/] ({Usd(refused.RemainingUsd)} left): {Markup.Escape(refused.Message)}");
        foreach (var attempt in refused.Attempts)
        {
            AnsiConsole.MarkupLine($"  [grey]{Markup.Escape(attempt.Provider)} ({Markup.Escape(attempt.Model)}): {attempt.Outcome}, {Markup.Escape(attempt.Detail ?? string.Empty)}[/]");
        }
    }

    /// <summary>Prints the ledger: attempts, tokens and cost per provider, and the total.</summary>
    public void PrintLedger()
    {
        if (_chain.Ledger is not SpendLedger ledger)
        {
            AnsiConsole.MarkupLine("[grey]The chain's ledger is not the in-process SpendLedger; no totals to show.[/]");
            return;
        }

        var byProvider = ledger.ByProvider;
        var table = new Table().Border(TableBorder.Simple).Title("spend ledger")
            .AddColumn(new TableColumn("provider").PadLeft(0).PadRight(1))
            .AddColumn(new TableColumn("model").PadLeft(0).PadRight(1))
            .AddColumn(new TableColumn("attempts").RightAligned().PadLeft(0).PadRight(1))
            .AddColumn(new TableColumn("tokens in/out").RightAligned().PadLeft(0).PadRight(1))
            .AddColumn(new TableColumn("USD").RightAligned().PadLeft(0).PadRight(0));
        foreach (var candidate in _chain.Candidates)
        {
            var totals = byProvider.TryGetValue(candidate.Name, out var found) ? found : default;
            table.AddRow(
                Markup.Escape(candidate.Name),
                Markup.Escape(candidate.Model),
                Number(totals.Attempts),
                $"{Number(totals.PromptTokens)}/{Number(totals.OutputTokens)}",
                Usd(totals.CostUsd));
        }

        var total = ledger.Total;
        table.AddRow("[bold]total[/]", string.Empty, Number(total.Attempts), $"{Number(total.PromptTokens)}/{Number(total.OutputTokens)}", $"[bold]{Usd(total.CostUsd)}[/]");
        AnsiConsole.Write(table);
        if (ledger.ByTenant.TryGetValue(Tenant, out var tenant))
        {
            AnsiConsole.MarkupLine($"[grey]tenant '{Tenant}': {Usd(tenant.CostUsd)} today[/]");
        }
    }

    private SpendTotals Totals() => _chain.Ledger is SpendLedger ledger
        ? ledger.Total
        : new SpendTotals(0, 0, 0, _chain.Ledger.TenantToday(Tenant).SpentUsd);

    private static decimal? Read(IReadOnlyDictionary<string, object?> metadata, string key) =>
        metadata.TryGetValue(key, out var value) && value is decimal amount ? amount : null;

    private static string Usd(decimal? amount) =>
        amount is { } value ? string.Create(CultureInfo.InvariantCulture, $"${value:0.000000}") : "n/a";

    private static string Number(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
