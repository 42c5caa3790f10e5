using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Numerics.Tensors;

namespace SkFallback.Caching;

/// <summary>
/// The vectors of one namespace, tenant and partition of <see cref="InMemorySemanticCacheStore"/>: normalised rows in one
/// contiguous array (so a search is one pass of <see cref="TensorPrimitives.Dot(ReadOnlySpan{float}, ReadOnlySpan{float})"/>
/// per row) and a sign code per row for the prefilter of large segments.
/// </summary>
internal sealed class VectorSegment
{
    private float[] _vectors;
    private ulong[] _codes;
    private InMemorySemanticCacheStore.Slot[] _slots;

    public VectorSegment(InMemorySemanticCacheStore.SegmentKey key, int dimensions)
    {
        Key = key;
        Dimensions = dimensions;
        Words = HyperplaneCode.WordsFor(dimensions);
        const int initial = 16;
        _vectors = new float[initial * dimensions];
        _codes = new ulong[initial * Words];
        _slots = new InMemorySemanticCacheStore.Slot[initial];
    }

    public InMemorySemanticCacheStore.SegmentKey Key { get; }

    public int Dimensions { get; }

    public int Words { get; }

    public int Count { get; private set; }

    public void Add(InMemorySemanticCacheStore.Slot slot, ReadOnlySpan<float> vector)
    {
        if (Count == _slots.Length)
        {
            var capacity = _slots.Length * 2;
            Array.Resize(ref _vectors, capacity * Dimensions);
            Array.Resize(ref _codes, capacity * Words);
            Array.Resize(ref _slots, capacity);
        }

        var row = _vectors.AsSpan(Count * Dimensions, Dimensions);
        Normalize(vector, row);
        HyperplaneCode.Compute(row, _codes.AsSpan(Count * Words, Words));
        _slots[Count] = slot;
        slot.Segment = this;
        slot.Row = Count;
        Count++;
    }

    public void Remove(InMemorySemanticCacheStore.Slot slot)
    {
        var row = slot.Row;
        var last = Count - 1;
        if (row != last)
        {
            _vectors.AsSpan(last * Dimensions, Dimensions).CopyTo(_vectors.AsSpan(row * Dimensions, Dimensions));
            _codes.AsSpan(last * Words, Words).CopyTo(_codes.AsSpan(row * Words, Words));
            var moved = _slots[last];
            _slots[row] = moved;
            moved.Row = row;
        }

        _slots[last] = null!;
        slot.Segment = null;
        Count--;
    }

    // Fully optimised from the first call: the scan loop is the whole cost of a lookup, so it skips tier-0 code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public IReadOnlyList<SemanticCacheMatch> Search(SemanticCacheQuery query)
    {
        Span<float> q = Dimensions <= 1024 ? stackalloc float[Dimensions] : new float[Dimensions];
        Normalize(query.Vector.Span, q);
        var usePrefilter = Count >= InMemorySemanticCacheStore.PrefilterThreshold;
        Span<ulong> code = stackalloc ulong[Words];
        var maxDistance = int.MaxValue;
        var half = Words / 2;
        var maxHalfDistance = int.MaxValue;
        if (usePrefilter)
        {
            HyperplaneCode.Compute(q, code);
            maxDistance = HyperplaneCode.MaxDistance(Words * 64, query.MinSimilarity);
            maxHalfDistance = half > 0 ? HyperplaneCode.MaxDistance(half * 64, query.MinSimilarity) : int.MaxValue;
        }

        var top = new TopMatches(query.MaxResults);
        var vectors = _vectors.AsSpan(0, Count * Dimensions);
        ref var codes = ref MemoryMarshal.GetArrayDataReference(_codes);
        for (var i = 0; i < Count; i++)
        {
            if (usePrefilter)
            {
                // The first half of the code alone rejects almost every unrelated row, reading half the memory.
                ref var row = ref Unsafe.Add(ref codes, i * Words);
                var first = Distance(ref row, code[..half]);
                if (first > maxHalfDistance || first + Distance(ref Unsafe.Add(ref row, half), code[half..]) > maxDistance)
                {
                    continue;
                }
            }

            var score = TensorPrimitives.Dot(vectors.Slice(i * Dimensions, Dimensions), q);
            if (score < query.MinSimilarity || score <= top.Floor)
            {
                continue;
            }

            var entry = _slots[i].Entry;
            if (entry.ExpiresAt <= query.Now || (query.MinQualityTier is int tier && (entry.QualityTier ?? 0) < tier))
            {
                continue;
            }

            top.Offer(entry, score);
        }

        return top.ToList();
    }

    /// <summary>Differing bits between a stored code (by reference, no bounds checks: this runs once per row) and the query's.</summary>
    private static int Distance(ref ulong row, ReadOnlySpan<ulong> query)
    {
        var distance = 0;
        for (var w = 0; w < query.Length; w++)
        {
            distance += BitOperations.PopCount(Unsafe.Add(ref row, w) ^ query[w]);
        }

        return distance;
    }

    private static void Normalize(ReadOnlySpan<float> source, Span<float> destination)
    {
        var norm = TensorPrimitives.Norm(source);
        if (norm == 0 || float.IsNaN(norm) || float.IsInfinity(norm))
        {
            throw new ArgumentException("A cache vector must have a finite, non-zero length.");
        }

        TensorPrimitives.Divide(source, norm, destination);
    }

    /// <summary>The best few matches seen so far, best first.</summary>
    private sealed class TopMatches(int capacity)
    {
        private readonly List<SemanticCacheMatch> _items = new(capacity);

        public float Floor => _items.Count < capacity ? float.NegativeInfinity : _items[^1].Similarity;

        public void Offer(SemanticCacheEntry entry, float score)
        {
            var index = _items.Count;
            while (index > 0 && _items[index - 1].Similarity < score)
            {
                index--;
            }

            _items.Insert(index, new SemanticCacheMatch(entry, score));
            if (_items.Count > capacity)
            {
                _items.RemoveAt(_items.Count - 1);
            }
        }

        public List<SemanticCacheMatch> ToList() => _items;
    }
}
