using SkFallback.Proxy.Keys;

namespace SkFallback.Proxy.Tests.Dashboard;

/// <summary>
/// The gateway with its dashboard on: an admin key, a one-second refresh, a daily budget on the test key, and a chain
/// <c>watched</c> whose breaker is on (the primary (a catalog model, so the key budget can hold its cost) opens after 2 failures and stays open 5 minutes; the backup backs it up).
/// </summary>
public sealed class DashboardFixture : GatewayFixture
{
    public const string AdminKey = "sk-skf-admin-key-fedcba9876543210";

    public const string PrimaryModel = "gpt-4o-mini-2024-07-18";

    public const string BackupModel = "claude-haiku-4-5-20251001";

    protected override void Configure(Dictionary<string, string?> config)
    {
        Chain(config, "watched", ("watched-primary", "OpenAI", PrimaryModel), ("watched-backup", "Anthropic", BackupModel));
        config["SkFallback:Chains:watched:CircuitBreaker:Enabled"] = "true";
        config["SkFallback:Chains:watched:CircuitBreaker:FailureThreshold"] = "2";
        config["SkFallback:Chains:watched:CircuitBreaker:BreakDuration"] = "00:05:00";
        config["SkFallback:Chains:watched:CircuitBreaker:Jitter"] = "0";
        config["SkFallback:Proxy:Keys:0:DailyBudgetUsd"] = "50";
        config["SkFallback:Proxy:Dashboard:AdminKeyHash"] = GatewayKeyHash.Hash(AdminKey);
        config["SkFallback:Proxy:Dashboard:RefreshSeconds"] = "1";
    }
}
