using System.Globalization;
using System.Text;
using Microsoft.Extensions.AI;
using SkFallback.Caching;

namespace SkFallback.Embeddings.MiniLM.Tests;

/// <summary>
/// The semantic cache with real MiniLM embeddings against the labelled dataset shipped in Data/: for each pair the first
/// request is answered and cached, then the second is asked; a pair labelled "hit" must be served the first answer, a
/// pair labelled "miss" (other numbers, entities, quoted strings, negation, another intent, other tools or system
/// prompt) must not. Precision and recall are printed for a sweep of thresholds and asserted at the default.
/// </summary>
public sealed class SemanticCacheDatasetTests : IClassFixture<MiniLMFixture>
{
    private static readonly float[] Sweep = [0.70f, 0.75f, 0.78f, 0.80f, 0.82f, 0.84f, 0.85f, 0.86f, 0.88f, 0.90f, 0.92f, 0.95f];

    private readonly MemoizingEmbeddingGenerator _generator;

    public SemanticCacheDatasetTests(MiniLMFixture fixture)
    {
        _generator = new MemoizingEmbeddingGenerator(fixture.Generator);
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public void Dataset_HasAtLeast200LabelledPairsOfEveryKind()
    {
        var pairs = CachePair.Load();

        Assert.True(pairs.Count >= 200, $"{pairs.Count} pairs");
        Assert.True(pairs.Count(p => p.ShouldHit) >= 100);
        foreach (var kind in new[] { "number", "entity", "negation", "quoted", "tool", "system", "topic" })
        {
            Assert.True(pairs.Count(p => !p.ShouldHit && p.Kind == kind) >= 8, $"too few '{kind}' near misses");
        }

        Assert.Equal(pairs.Count, pairs.Select(p => (p.First, p.Second, p.FirstContext, p.SecondContext)).Distinct().Count());
    }

    [Fact]
    public async Task DefaultThreshold_PrecisionAtLeast099AndRecallAtLeast07()
    {
        var pairs = CachePair.Load();
        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"semantic cache, MiniLM embeddings, {pairs.Count} labelled pairs ({pairs.Count(p => p.ShouldHit)} hits, {pairs.Count(p => !p.ShouldHit)} near misses)");
        report.AppendLine("threshold  precision  recall  (tp fp fn tn)");
        foreach (var threshold in Sweep)
        {
            var score = await EvaluateAsync(pairs, threshold, guard: true);
            report.AppendLine(CultureInfo.InvariantCulture, $"{threshold,9:0.00}  {score.Precision,9:0.000}  {score.Recall,6:0.000}  ({score.TruePositives} {score.FalsePositives} {score.FalseNegatives} {score.TrueNegatives})");
            foreach (var served in score.Wrong.Where(p => !p.ShouldHit))
            {
                report.AppendLine(CultureInfo.InvariantCulture, $"           served wrongly ({served.Kind}): \"{served.First}\" / \"{served.Second}\"");
            }
        }

        var unguarded = await EvaluateAsync(pairs, SemanticCacheOptions.DefaultSimilarityThreshold, guard: false);
        var result = await EvaluateAsync(pairs, SemanticCacheOptions.DefaultSimilarityThreshold, guard: true);
        report.AppendLine(CultureInfo.InvariantCulture, $"without the guard at {SemanticCacheOptions.DefaultSimilarityThreshold:0.00}: precision {unguarded.Precision:0.000}, recall {unguarded.Recall:0.000}");
        report.AppendLine(CultureInfo.InvariantCulture, $"default threshold {SemanticCacheOptions.DefaultSimilarityThreshold:0.00}: precision {result.Precision:0.000}, recall {result.Recall:0.000}");
        foreach (var wrong in result.Wrong)
        {
            report.AppendLine(CultureInfo.InvariantCulture, $"  wrong ({wrong.Kind}, {(wrong.ShouldHit ? "missed" : "served")}): \"{wrong.First}\" / \"{wrong.Second}\"");
        }

        TestContext.Current.TestOutputHelper!.WriteLine(report.ToString());
        Console.WriteLine(report.ToString());
        Assert.True(result.Precision >= 0.99, $"precision {result.Precision:0.000} < 0.99\n{report}");
        Assert.True(result.Recall >= 0.70, $"recall {result.Recall:0.000} < 0.70\n{report}");
    }

    private async Task<Score> EvaluateAsync(IReadOnlyList<CachePair> pairs, float threshold, bool guard)
    {
        var provider = new EchoChatClient();
        using var cache = new SemanticCacheChatClient(provider, new SemanticCacheOptions { SimilarityThreshold = threshold, Guard = guard, MaxEntries = 1000 }, embeddingGenerator: _generator);
        var score = new Score();
        for (var i = 0; i < pairs.Count; i++)
        {
            var pair = pairs[i];
            var tenant = "pair-" + i.ToString(CultureInfo.InvariantCulture); // keeps pairs from serving each other
            await cache.GetResponseAsync(Messages(pair.First, pair.FirstContext), Options(pair.FirstContext, tenant), Token);
            var second = await cache.GetResponseAsync(Messages(pair.Second, pair.SecondContext), Options(pair.SecondContext, tenant), Token);
            var served = second.AdditionalProperties?.ContainsKey(CacheMetadataKeys.Hit) == true;
            if (served)
            {
                Assert.Equal("answer to: " + pair.First, second.Text);
            }

            score.Add(pair, served);
        }

        return score;
    }

    private static List<ChatMessage> Messages(string text, string context)
    {
        var messages = new List<ChatMessage>();
        if (context.StartsWith("system=", StringComparison.Ordinal))
        {
            messages.Add(new ChatMessage(ChatRole.System, context["system=".Length..]));
        }

        messages.Add(new ChatMessage(ChatRole.User, text));
        return messages;
    }

    private static ChatOptions Options(string context, string tenant)
    {
        var options = new ChatOptions { Temperature = 0, AdditionalProperties = new() { [CacheMetadataKeys.Tenant] = tenant } };
        if (context.StartsWith("tools=", StringComparison.Ordinal))
        {
            options.Tools = [.. context["tools=".Length..].Split(',').Select(name => AIFunctionFactory.Create((string input) => input, name, "Tool " + name + "."))];
        }

        return options;
    }

    private sealed class Score
    {
        public int TruePositives { get; private set; }

        public int FalsePositives { get; private set; }

        public int FalseNegatives { get; private set; }

        public int TrueNegatives { get; private set; }

        public List<CachePair> Wrong { get; } = [];

        public double Precision => TruePositives + FalsePositives == 0 ? 1 : (double)TruePositives / (TruePositives + FalsePositives);

        public double Recall => TruePositives + FalseNegatives == 0 ? 0 : (double)TruePositives / (TruePositives + FalseNegatives);

        public void Add(CachePair pair, bool served)
        {
            switch (pair.ShouldHit, served)
            {
                case (true, true): TruePositives++; break;
                case (false, true): FalsePositives++; Wrong.Add(pair); break;
                case (true, false): FalseNegatives++; Wrong.Add(pair); break;
                default: TrueNegatives++; break;
            }
        }
    }
}
