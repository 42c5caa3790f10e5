using CsCheck;
using Microsoft.Extensions.AI;
using SkFallback.Cost;

namespace SkFallback.Tests.Cost;

/// <summary>Whatever usage is reported, the learned correction stays within its bounds and moves at most <see cref="TokenEstimator.MaxStep"/> per observation.</summary>
public class EstimatorCorrectionPropertyTests
{
    private static readonly string[] Models =
    [
        "claude-haiku-4-5-20251001", "gemini-2.5-flash", "mistral-small-2503", "deepseek-chat", "qwen-plus-2025-01-25", "gpt-4o-2024-08-06", "llama-3.1-8b",
    ];

    // Adversarial reports: zeros, negatives, tiny and huge values, estimates far from reports in both directions.
    private static readonly Gen<int> Estimates = Gen.OneOf(Gen.Int[int.MinValue, int.MaxValue], Gen.Int[-2, 2], Gen.Int[1, 100], Gen.Const(int.MaxValue));

    private static readonly Gen<long> Reports = Gen.OneOf(Gen.Long[long.MinValue, long.MaxValue], Gen.Long[-2, 2], Gen.Long[1, 1_000_000], Gen.Const(long.MaxValue));

    private static readonly Gen<(int Estimate, long Reported, long? Output)> Observation =
        Gen.Select(Estimates, Reports, Gen.Long[-5, 1_000_000].Select(o => o % 7 == 0 ? (long?)null : o));

    [Fact]
    public void Observe_AdversarialUsage_CorrectionWithinBoundsAndStepLimit() =>
        Gen.Select(Gen.Int[0, Models.Length - 1], Observation.Array[1, 300]).Sample(sample =>
        {
            var (modelIndex, observations) = sample;
            var model = Models[modelIndex];
            var estimator = new TokenEstimator();
            var previous = estimator.CorrectionOf(model);
            foreach (var (estimate, reported, output) in observations)
            {
                estimator.Observe(model, estimate, reported, output);
                var current = estimator.CorrectionOf(model);
                if (double.IsNaN(current) || current < TokenEstimator.MinCorrection || current > TokenEstimator.MaxCorrection
                    || Math.Abs(current - previous) > TokenEstimator.MaxStep + 1e-12)
                {
                    return false;
                }

                previous = current;
            }

            // The estimate stays usable: positive, and the output estimate positive.
            return estimator.EstimatePromptTokens(model, [new ChatMessage(ChatRole.User, "hello")]) >= 1
                && estimator.EstimateOutputTokens(model) >= 1;
        }, iter: 2_000);
}
