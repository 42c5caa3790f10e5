using System.Numerics;
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

    public IReadOnlyList<SemanticCacheMatch> Search(SemanticCacheQuery query)
    {
        Span<float> q = Dimensions <= 1024 ? stackalloc float[Dimensions] : new float[Dimensions];
        Normalize(query.Vector.Span, q);
        var usePrefilter = Count >= InMemorySemanticCacheStore.PrefilterThreshold;
        Span<ulong> code = stackalloc ulong[Words];
        var maxDistance = int.MaxValue;
        if (usePrefilter)
        {
            HyperplaneCode.Compute(q, code);
            maxDistance = HyperplaneCode.MaxDistance(Words * 64, query.MinSimilarity);
        }

        var top = new TopMatches(query.MaxResults);
        var vectors = _vectors.AsSpan(0, Count * Dimensions);
        var codes = _codes.AsSpan(0, Count * Words);
        for (var i = 0; i < Count; i++)
        {
            if (usePrefilter && Distance(codes.Slice(i * Words, Words), code) > maxDistance)
            {
                continue;
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

    private static int Distance(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b)
    {
        var distance = 0;
        for (var w = 0; w < a.Length; w++)
        {
            distance += BitOperations.PopCount(a[w] ^ b[w]);
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
