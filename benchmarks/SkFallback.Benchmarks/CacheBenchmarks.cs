using System.Globalization;
using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Mathematics;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Microsoft.Extensions.AI;
using SkFallback.Caching;
using SkFallback.Embeddings.MiniLM;
using SkFallback.Simulator;

namespace SkFallback.Benchmarks;

/// <summary>
/// The response cache, one operation per iteration so the percentiles are those of single operations:
/// similarity lookups in the in-process store at 100,000 entries of 384 dimensions (excluding the embedding) beside
/// exact scans of every vector, a MiniLM embedding of a short prompt, and whole calls: cache hits against a provider call
/// over HTTP to the simulator.
/// </summary>
[Config(typeof(LatencyConfig))]
public class CacheBenchmarks
{
    private const int Entries = 100_000;
    private const int Dimensions = 384;
    private const int Partitions = 50;
    private const int QueryCount = 64;
    private const string Model = "bench-gpt-2024-01-01";
    private const string Question = "What is the capital of France?";

    private static readonly DateTimeOffset Now = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    private InMemorySemanticCacheStore? _onePartition;
    private InMemorySemanticCacheStore? _manyPartitions;
    private float[] _raw = null!;
    private float[][] _queries = null!;
    private SemanticCacheQuery[] _onePartitionQueries = null!;
    private SemanticCacheQuery[] _onePartitionQueries070 = null!;
    private SemanticCacheQuery[] _manyPartitionQueries = null!;
    private int _next;
    private MiniLMEmbeddingGenerator? _miniLM;
    private ProviderSimulator? _simulator;
    private FallbackChatClient? _chain;
    private SemanticCacheChatClient? _cachedChain;
    private SemanticCacheChatClient? _cachedChainMiniLM;
    private readonly ChatOptions _deterministic = new() { Temperature = 0 };

    [GlobalSetup(Targets = [nameof(Lookup_100k_OnePartition), nameof(Lookup_100k_OnePartition_Threshold070), nameof(FullScan_100k_OnePartition)])]
    public void SetupOnePartition()
    {
        _onePartition = BuildStore(_ => "p");
        _onePartitionQueries = [.. _queries.Select(q => Query(q, "p", 0.85f))];
        _onePartitionQueries070 = [.. _queries.Select(q => Query(q, "p", 0.70f))];
        for (var q = 0; q < QueryCount; q++)
        {
            CheckPlanted(_onePartition, _onePartitionQueries[q], q);
            CheckPlanted(_onePartition, _onePartitionQueries070[q], q);
        }
    }

    [GlobalSetup(Targets = [nameof(Lookup_100k_In50Partitions), nameof(FullScan_100k_In50Partitions)])]
    public void SetupManyPartitions()
    {
        _manyPartitions = BuildStore(i => PartitionOf(i));
        _manyPartitionQueries = [.. _queries.Select((q, i) => Query(q, PartitionOf(i), 0.85f))];
        for (var q = 0; q < QueryCount; q++)
        {
            CheckPlanted(_manyPartitions, _manyPartitionQueries[q], q);
        }
    }

    [GlobalSetup(Target = nameof(BruteForceScan_100k))]
    public void SetupRaw()
    {
        var random = MakeQueries(out _queries);
        _raw = new float[Entries * Dimensions];
        for (var i = 0; i < Entries; i++)
        {
            (i < QueryCount ? Near(_queries[i], 0.9, random) : Unit(random)).CopyTo(_raw, i * Dimensions);
        }
    }

    [GlobalSetup(Target = nameof(MiniLM_EmbedShortPrompt))]
    public void SetupMiniLM() => _miniLM = new MiniLMEmbeddingGenerator();

    [GlobalSetup(Targets = [nameof(ProviderCall_Simulator), nameof(CacheHit_Exact), nameof(CacheHit_Semantic_MiniLM)])]
    public void SetupCalls()
    {
        _miniLM = new MiniLMEmbeddingGenerator();
        _simulator = ProviderSimulator.StartAsync().GetAwaiter().GetResult();
        var options = new FallbackOptions();
        options.Add(new ProviderOptions { Name = "openai", Kind = ProviderKinds.OpenAI, Model = Model, ApiKey = "sk-bench-0000000000", Endpoint = _simulator.OpenAIEndpoint });
        _chain = new FallbackChatClient(options);
        _cachedChain = new SemanticCacheChatClient(_chain);
        _cachedChainMiniLM = new SemanticCacheChatClient(_chain, embeddingGenerator: _miniLM);
        var first = _cachedChain.GetResponseAsync(Question, _deterministic).GetAwaiter().GetResult();
        _cachedChainMiniLM.GetResponseAsync(Question, _deterministic).GetAwaiter().GetResult();
        var hit = _cachedChain.GetResponseAsync(Question, _deterministic).GetAwaiter().GetResult();
        var similar = _cachedChainMiniLM.GetResponseAsync("Which city is the capital of France?", _deterministic).GetAwaiter().GetResult();
        if (first.Text != _simulator.ExpectedReply(Model, Question) || hit.AdditionalProperties?[CacheMetadataKeys.Hit] is not CacheMetadataKeys.ExactHit
            || similar.AdditionalProperties?[CacheMetadataKeys.Hit] is not CacheMetadataKeys.SemanticHit)
        {
            throw new InvalidOperationException("The cache did not answer as expected.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _cachedChain?.Dispose();
        _cachedChainMiniLM?.Dispose();
        _chain?.Dispose();
        _simulator?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _miniLM?.Dispose();
        _onePartition?.Dispose();
        _manyPartitions?.Dispose();
    }

    /// <summary>A lookup among all 100,000 entries in one partition, threshold 0.85 (the default): the sign-code bound path.</summary>
    [Benchmark]
    public int Lookup_100k_OnePartition() =>
        Search(_onePartition!, _onePartitionQueries[_next++ % QueryCount]);

    /// <summary>The same at threshold 0.70: the bound rules out fewer unrelated vectors, so more are scored exactly.</summary>
    [Benchmark]
    public int Lookup_100k_OnePartition_Threshold070() =>
        Search(_onePartition!, _onePartitionQueries070[_next++ % QueryCount]);

    /// <summary>Reference: the same store scoring every one of the 100,000 vectors (what the bound avoids).</summary>
    [Benchmark]
    public int FullScan_100k_OnePartition() =>
        _onePartition!.Search(_onePartitionQueries[_next++ % QueryCount], SegmentScan.Full, out _).Length;

    /// <summary>A lookup in a store of 100,000 entries over 50 partitions: the bound over the 2,000 of the query's partition.</summary>
    [Benchmark]
    public int Lookup_100k_In50Partitions() =>
        Search(_manyPartitions!, _manyPartitionQueries[_next++ % QueryCount]);

    /// <summary>Reference: scoring every one of the 2,000 vectors of the query's partition.</summary>
    [Benchmark]
    public int FullScan_100k_In50Partitions() =>
        _manyPartitions!.Search(_manyPartitionQueries[_next++ % QueryCount], SegmentScan.Full, out _).Length;

    /// <summary>Reference: a plain TensorPrimitives cosine over all 100,000 vectors, which the prefilter avoids.</summary>
    [Benchmark]
    public int BruteForceScan_100k()
    {
        var q = _queries[_next++ % QueryCount];
        var found = 0;
        var raw = _raw.AsSpan();
        for (var i = 0; i < Entries; i++)
        {
            if (TensorPrimitives.Dot(raw.Slice(i * Dimensions, Dimensions), q) >= 0.85f)
            {
                found++;
            }
        }

        return found;
    }

    /// <summary>One MiniLM embedding of a short prompt.</summary>
    [Benchmark]
    public int MiniLM_EmbedShortPrompt() =>
        _miniLM!.GenerateAsync(["How do I reset my password?"]).GetAwaiter().GetResult()[0].Vector.Length;

    /// <summary>A whole call that the provider answers: the OpenAI SDK over HTTP to the simulator, no latency added.</summary>
    [Benchmark]
    public string ProviderCall_Simulator() =>
        _chain!.GetResponseAsync(Question, _deterministic).GetAwaiter().GetResult().Text;

    /// <summary>A whole call served by the exact layer (no embedding needed).</summary>
    [Benchmark]
    public string CacheHit_Exact() =>
        _cachedChain!.GetResponseAsync(Question, _deterministic).GetAwaiter().GetResult().Text;

    /// <summary>A whole call served by the semantic layer: exact miss, MiniLM embedding, lookup, guard.</summary>
    [Benchmark]
    public string CacheHit_Semantic_MiniLM() =>
        _cachedChainMiniLM!.GetResponseAsync("Which city is the capital of France?", _deterministic).GetAwaiter().GetResult().Text;

    /// <summary>The store completes searches synchronously; reading the result without a Task keeps the allocation column the store's own.</summary>
    private static int Search(InMemorySemanticCacheStore store, SemanticCacheQuery query)
    {
        var search = store.SearchAsync(query);
        return search.IsCompleted ? search.Result.Count : search.AsTask().GetAwaiter().GetResult().Count;
    }

    private static string PartitionOf(int i) => "p" + (i % Partitions).ToString(CultureInfo.InvariantCulture);

    private static SemanticCacheQuery Query(float[] vector, string partition, float threshold) => new()
    {
        Namespace = "bench",
        Tenant = string.Empty,
        Partition = partition,
        Vector = vector,
        MinSimilarity = threshold,
        Now = Now,
    };

    /// <summary>Every query must find its planted neighbour, the same way through the bound and through the full scan.</summary>
    private static void CheckPlanted(InMemorySemanticCacheStore store, SemanticCacheQuery query, int q)
    {
        var found = store.SearchAsync(query).AsTask().GetAwaiter().GetResult();
        var full = store.Search(query, SegmentScan.Full, out _);
        if (found.Count != 1 || full.Length != 1 || found[0].Entry.Key != "k" + q.ToString(CultureInfo.InvariantCulture) || found[0].Similarity != full[0].Similarity)
        {
            throw new InvalidOperationException($"Query {q} did not find its planted neighbour exactly.");
        }
    }

    /// <summary>100,000 random unit vectors; each query has one planted neighbour at cosine 0.9, so every lookup finds a match.</summary>
    private InMemorySemanticCacheStore BuildStore(Func<int, string> partition)
    {
        var random = MakeQueries(out _queries);
        var store = new InMemorySemanticCacheStore(Entries);
        for (var i = 0; i < Entries; i++)
        {
            var vector = i < QueryCount ? Near(_queries[i], 0.9, random) : Unit(random);
            store.UpsertAsync(Entry(i, vector, partition(i))).AsTask().GetAwaiter().GetResult();
        }

        return store;
    }

    private static Random MakeQueries(out float[][] queries)
    {
        var random = new Random(42);
        queries = new float[QueryCount][];
        for (var q = 0; q < QueryCount; q++)
        {
            queries[q] = Unit(random);
        }

        return random;
    }

    private static SemanticCacheEntry Entry(int i, float[] vector, string partition) => new()
    {
        Key = "k" + i.ToString(CultureInfo.InvariantCulture),
        Namespace = "bench",
        Tenant = string.Empty,
        Partition = partition,
        Prompt = "prompt",
        Vector = vector,
        Response = "{}",
        CreatedAt = Now,
        ExpiresAt = Now.AddDays(1),
    };

    private static float[] Unit(Random random)
    {
        var v = new float[Dimensions];
        for (var i = 0; i < v.Length; i++)
        {
            v[i] = (float)(Math.Sqrt(-2.0 * Math.Log(1.0 - random.NextDouble())) * Math.Cos(2.0 * Math.PI * random.NextDouble()));
        }

        TensorPrimitives.Divide(v, TensorPrimitives.Norm(v), v);
        return v;
    }

    private static float[] Near(float[] q, double cosine, Random random)
    {
        var u = Unit(random);
        var along = new float[Dimensions];
        TensorPrimitives.Multiply(q, TensorPrimitives.Dot(u, q), along);
        TensorPrimitives.Subtract(u, along, u);
        TensorPrimitives.Divide(u, TensorPrimitives.Norm(u), u);
        var w = new float[Dimensions];
        for (var i = 0; i < w.Length; i++)
        {
            w[i] = (float)((cosine * q[i]) + (Math.Sqrt(1 - (cosine * cosine)) * u[i]));
        }

        return w;
    }

    /// <summary>
    /// One operation per iteration, 1,000 iterations, outliers kept, so P95 and P99 are those of single operations. No
    /// forced full collection between iterations: BenchmarkDotNet's default runs one before every iteration, which on a
    /// heap holding 100,000 entries takes longer than the lookup and leaves the caches cold, which no running service does.
    /// </summary>
    private sealed class LatencyConfig : ManualConfig
    {
        public LatencyConfig()
        {
            AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(20).WithIterationCount(1000).WithInvocationCount(1).WithUnrollFactor(1)
                .WithOutlierMode(Perfolizer.Mathematics.OutlierDetection.OutlierMode.DontRemove).WithGcForce(false).WithStrategy(RunStrategy.Throughput));
            AddColumn(StatisticColumn.P50, StatisticColumn.P95, new PercentileColumn(99), StatisticColumn.Max);
            AddDiagnoser(BenchmarkDotNet.Diagnosers.MemoryDiagnoser.Default);
        }
    }
}
