using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

// The three candidate kernels (portable, AVX-512, AVX2) are alike by design: one per instruction set, each kept whole
// so the JIT sees one straight loop; a shared helper would put a call or a branch in the scan of every block.

namespace SkFallback.Caching;

/// <summary>
/// The vectors of one namespace, tenant and partition of <see cref="InMemorySemanticCacheStore"/>: normalised rows in one
/// contiguous array and, per row, its <see cref="SignCode"/> with its A and R. Codes are stored by blocks of 64 rows,
/// byte j of the 64 rows side by side, so one 512-bit shuffle (or two 256-bit ones) looks up a nibble of 64 rows.
/// </summary>
/// <remarks>
/// A search of a segment of at least <see cref="InMemorySemanticCacheStore.PrefilterThreshold"/> rows reads the codes
/// (D/8 bytes a row instead of 4·D) and computes the exact cosine only of the rows whose bound reaches the threshold.
/// Smaller segments, thresholds at or below zero and vectors of more than 4,096 dimensions are scored row by row.
/// Table sums are added in bytes two code bytes at a time, then split into even and odd rows as 16-bit lanes; A and R
/// are stored in that order (even rows of a block first), so the comparison reads them contiguously.
/// </remarks>
internal sealed class VectorSegment
{
    private const int Block = 64;

    private float[] _vectors;
    private byte[] _codes;
    private float[] _l1;
    private float[] _residual;
    private InMemorySemanticCacheStore.Slot[] _slots;

    public VectorSegment(InMemorySemanticCacheStore.SegmentKey key, int dimensions)
    {
        Key = key;
        Dimensions = dimensions;
        CodeBytes = SignCode.BytesFor(dimensions);
        _vectors = new float[Block * dimensions];
        _codes = new byte[Block * CodeBytes];
        _l1 = new float[Block];
        _residual = new float[Block];
        _slots = new InMemorySemanticCacheStore.Slot[Block];
    }

    public InMemorySemanticCacheStore.SegmentKey Key { get; }

    public int Dimensions { get; }

    public int CodeBytes { get; }

    public int Count { get; private set; }

    public void Add(InMemorySemanticCacheStore.Slot slot, ReadOnlySpan<float> vector)
    {
        if (Count == _slots.Length)
        {
            var capacity = _slots.Length * 2;
            Array.Resize(ref _vectors, capacity * Dimensions);
            Array.Resize(ref _codes, capacity * CodeBytes);
            Array.Resize(ref _l1, capacity);
            Array.Resize(ref _residual, capacity);
            Array.Resize(ref _slots, capacity);
        }

        var row = _vectors.AsSpan(Count * Dimensions, Dimensions);
        SignCode.Normalize(vector, row);
        Span<byte> code = CodeBytes <= 512 ? stackalloc byte[CodeBytes] : new byte[CodeBytes];
        (_l1[LaneIndex(Count)], _residual[LaneIndex(Count)]) = SignCode.Encode(row, code);
        WriteCode(Count, code);
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
            for (var j = 0; j < CodeBytes; j++)
            {
                _codes[CodeIndex(row, j)] = _codes[CodeIndex(last, j)];
            }

            _l1[LaneIndex(row)] = _l1[LaneIndex(last)];
            _residual[LaneIndex(row)] = _residual[LaneIndex(last)];
            var moved = _slots[last];
            _slots[row] = moved;
            moved.Row = row;
        }

        _slots[last] = null!;
        slot.Segment = null;
        Count--;
    }

    // The search and the methods it calls are fully optimised from the first call: tier-0 code of these loops is tens of
    // times slower, and the first lookups of a process would pay for it.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public SemanticCacheMatch[] Search(SemanticCacheQuery query, SegmentScan scan, out int scored)
    {
        Span<float> q = Dimensions <= 1024 ? stackalloc float[Dimensions] : new float[Dimensions];
        SignCode.Normalize(query.Vector.Span, q);
        var top = new TopMatches(query.MaxResults <= 16 ? stackalloc int[query.MaxResults] : new int[query.MaxResults],
            query.MaxResults <= 16 ? stackalloc float[query.MaxResults] : new float[query.MaxResults]);
        scored = 0;
        var tableBytes = CodeBytes * 2 * SignCode.TableStride;
        Span<byte> tables = tableBytes <= 8192 ? stackalloc byte[tableBytes] : new byte[tableBytes];
        var bounded = scan != SegmentScan.Full && CodeBytes <= SignCode.MaxCodeBytes
            && (scan != SegmentScan.Auto || Count >= InMemorySemanticCacheStore.PrefilterThreshold);
        var cutoff = bounded ? SignCode.BuildTables(q, tables, query.MinSimilarity) : null;
        if (cutoff is not { } c)
        {
            for (var i = 0; i < Count; i++)
            {
                Score(i, q, query, ref top);
            }

            scored = Count;
            return top.ToMatches(_slots);
        }

        var path = scan switch
        {
            SegmentScan.PrefilterPortable => 0,
            SegmentScan.PrefilterAvx2 => Avx2.IsSupported ? 1 : 0,
            _ => Vector512.IsHardwareAccelerated && Avx512BW.IsSupported ? 2 : Avx2.IsSupported ? 1 : 0,
        };
        var blocks = (Count + Block - 1) / Block;
        for (var b = 0; b < blocks; b++)
        {
            var candidates = path switch
            {
                2 => CandidatesAvx512(b, tables, c),
                1 => CandidatesAvx2(b, tables, c),
                _ => CandidatesPortable(b, tables, c),
            };

            while (candidates != 0)
            {
                var lane = BitOperations.TrailingZeroCount(candidates);
                candidates &= candidates - 1;
                var i = (b * Block) + (lane < Block / 2 ? 2 * lane : (2 * (lane - (Block / 2))) + 1);
                if (i < Count)
                {
                    Score(i, q, query, ref top);
                    scored++;
                }
            }
        }

        return top.ToMatches(_slots);
    }

    /// <summary>Where A and R of a row live: in its block, even rows first, then odd rows, as the sums come out of the 16-bit lanes.</summary>
    private static int LaneIndex(int row) => (row & ~(Block - 1)) + ((row & 1) * (Block / 2)) + ((row & (Block - 1)) >> 1);

    /// <summary>Where byte <paramref name="j"/> of a row's code lives: blocks of 32 rows, byte j of the block's rows side by side.</summary>
    private int CodeIndex(int row, int j) => ((row / Block) * Block * CodeBytes) + (j * Block) + (row % Block);

    private void WriteCode(int row, ReadOnlySpan<byte> code)
    {
        for (var j = 0; j < code.Length; j++)
        {
            _codes[CodeIndex(row, j)] = code[j];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Score(int i, ReadOnlySpan<float> q, SemanticCacheQuery query, ref TopMatches top)
    {
        var score = SignCode.Dot(_vectors.AsSpan(i * Dimensions, Dimensions), q);
        if (score < query.MinSimilarity || !top.Admits(i, score))
        {
            return;
        }

        var entry = _slots[i].Entry;
        if (entry.ExpiresAt <= query.Now || (query.MinQualityTier is int tier && (entry.QualityTier ?? 0) < tier))
        {
            return;
        }

        top.Offer(i, score);
    }

    /// <summary>Rows of block <paramref name="b"/> whose table sum reaches their cut-off, one bit per lane (portable path).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private ulong CandidatesPortable(int b, ReadOnlySpan<byte> tables, SignCode.Cutoff cutoff)
    {
        var candidates = 0UL;
        for (var r = 0; r < Block && (b * Block) + r < Count; r++)
        {
            var row = (b * Block) + r;
            var sum = 0;
            for (var j = 0; j < CodeBytes; j++)
            {
                sum += SignCode.Sum(tables, j, _codes[CodeIndex(row, j)]);
            }

            var lane = LaneIndex(row);
            if (sum >= cutoff.For(_l1[lane], _residual[lane]))
            {
                candidates |= 1UL << (lane - (b * Block));
            }
        }

        return candidates;
    }

    /// <summary>The same as <see cref="CandidatesPortable"/> with AVX-512: one shuffle looks up a nibble of 64 rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private ulong CandidatesAvx512(int b, ReadOnlySpan<byte> tables, SignCode.Cutoff cutoff)
    {
        ref var code = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_codes), b * Block * CodeBytes);
        ref var table = ref MemoryMarshal.GetReference(tables);
        var nibble = Vector512.Create((byte)0x0F);
        var lowByte = Vector512.Create((ushort)0x00FF);
        var even = Vector512<ushort>.Zero;
        var odd = Vector512<ushort>.Zero;
        var j = 0;
        for (; j < CodeBytes; j += 2)
        {
            // Up to four entries of at most 63 add in a byte; then even and odd rows are split into 16-bit lanes.
            var bytes = Vector512.LoadUnsafe(ref code, (nuint)(j * Block));
            var sum = Avx512BW.Shuffle(Vector512.LoadUnsafe(ref table, (nuint)(2 * j * SignCode.TableStride)), bytes & nibble)
                + Avx512BW.Shuffle(Vector512.LoadUnsafe(ref table, (nuint)(((2 * j) + 1) * SignCode.TableStride)), Vector512.ShiftRightLogical(bytes.AsUInt16(), 4).AsByte() & nibble);
            if (j + 1 < CodeBytes)
            {
                bytes = Vector512.LoadUnsafe(ref code, (nuint)((j + 1) * Block));
                sum += Avx512BW.Shuffle(Vector512.LoadUnsafe(ref table, (nuint)(((2 * j) + 2) * SignCode.TableStride)), bytes & nibble)
                    + Avx512BW.Shuffle(Vector512.LoadUnsafe(ref table, (nuint)(((2 * j) + 3) * SignCode.TableStride)), Vector512.ShiftRightLogical(bytes.AsUInt16(), 4).AsByte() & nibble);
            }

            even += sum.AsUInt16() & lowByte;
            odd += Vector512.ShiftRightLogical(sum.AsUInt16(), 8);
        }

        var perL1 = Vector512.Create(cutoff.PerL1);
        var perResidual = Vector512.Create(cutoff.PerResidual);
        var offset = Vector512.Create(cutoff.Offset);
        ref var l1 = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_l1), b * Block);
        ref var residual = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_residual), b * Block);
        var candidates = 0UL;
        for (var part = 0; part < 4; part++)
        {
            var sums = part switch
            {
                0 => Vector512.WidenLower(even),
                1 => Vector512.WidenUpper(even),
                2 => Vector512.WidenLower(odd),
                _ => Vector512.WidenUpper(odd),
            };
            var limit = (Vector512.LoadUnsafe(ref l1, (nuint)(part * 16)) * perL1) - (Vector512.LoadUnsafe(ref residual, (nuint)(part * 16)) * perResidual) - offset;
            var reach = Vector512.GreaterThanOrEqual(Vector512.ConvertToSingle(sums.AsInt32()), limit);
            candidates |= reach.ExtractMostSignificantBits() << (part * 16);
        }

        return candidates;
    }

    /// <summary>The same as <see cref="CandidatesPortable"/> with AVX2: one shuffle looks up a nibble of 32 rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private ulong CandidatesAvx2(int b, ReadOnlySpan<byte> tables, SignCode.Cutoff cutoff)
    {
        ref var code = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_codes), b * Block * CodeBytes);
        ref var table = ref MemoryMarshal.GetReference(tables);
        var nibble = Vector256.Create((byte)0x0F);
        var lowByte = Vector256.Create((ushort)0x00FF);
        var perL1 = Vector256.Create(cutoff.PerL1);
        var perResidual = Vector256.Create(cutoff.PerResidual);
        var offset = Vector256.Create(cutoff.Offset);
        ref var l1 = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_l1), b * Block);
        ref var residual = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_residual), b * Block);
        var candidates = 0UL;
        for (var half = 0; half < 2; half++)
        {
            var even = Vector256<ushort>.Zero;
            var odd = Vector256<ushort>.Zero;
            for (var j = 0; j < CodeBytes; j += 2)
            {
                var bytes = Vector256.LoadUnsafe(ref code, (nuint)((j * Block) + (half * 32)));
                var sum = Avx2.Shuffle(Vector256.LoadUnsafe(ref table, (nuint)(2 * j * SignCode.TableStride)), bytes & nibble)
                    + Avx2.Shuffle(Vector256.LoadUnsafe(ref table, (nuint)(((2 * j) + 1) * SignCode.TableStride)), Vector256.ShiftRightLogical(bytes.AsUInt16(), 4).AsByte() & nibble);
                if (j + 1 < CodeBytes)
                {
                    bytes = Vector256.LoadUnsafe(ref code, (nuint)(((j + 1) * Block) + (half * 32)));
                    sum += Avx2.Shuffle(Vector256.LoadUnsafe(ref table, (nuint)(((2 * j) + 2) * SignCode.TableStride)), bytes & nibble)
                        + Avx2.Shuffle(Vector256.LoadUnsafe(ref table, (nuint)(((2 * j) + 3) * SignCode.TableStride)), Vector256.ShiftRightLogical(bytes.AsUInt16(), 4).AsByte() & nibble);
                }

                even += sum.AsUInt16() & lowByte;
                odd += Vector256.ShiftRightLogical(sum.AsUInt16(), 8);
            }

            // Rows 32·half + 2k land in lane 16·half + k, odd rows in lane 32 + 16·half + k.
            for (var part = 0; part < 4; part++)
            {
                var sums = part switch
                {
                    0 => Vector256.WidenLower(even),
                    1 => Vector256.WidenUpper(even),
                    2 => Vector256.WidenLower(odd),
                    _ => Vector256.WidenUpper(odd),
                };
                var lane = ((part >> 1) * 32) + (half * 16) + ((part & 1) * 8);
                var limit = (Vector256.LoadUnsafe(ref l1, (nuint)lane) * perL1) - (Vector256.LoadUnsafe(ref residual, (nuint)lane) * perResidual) - offset;
                var reach = Vector256.GreaterThanOrEqual(Vector256.ConvertToSingle(sums.AsInt32()), limit);
                candidates |= (ulong)reach.ExtractMostSignificantBits() << lane;
            }
        }

        return candidates;
    }

    /// <summary>
    /// The best few rows seen so far, best first, ties to the lower row (so the order rows are visited in does not matter),
    /// in caller-provided buffers: nothing is allocated until the result.
    /// </summary>
    private ref struct TopMatches(Span<int> rows, Span<float> scores)
    {
        private readonly Span<int> _rows = rows;
        private readonly Span<float> _scores = scores;
        private int _count;

        public readonly bool Admits(int row, float score) =>
            _count < _rows.Length || score > _scores[_count - 1] || (score == _scores[_count - 1] && row < _rows[_count - 1]);

        public void Offer(int row, float score)
        {
            var index = Math.Min(_count, _rows.Length - 1);
            while (index > 0 && (_scores[index - 1] < score || (_scores[index - 1] == score && _rows[index - 1] > row)))
            {
                _rows[index] = _rows[index - 1];
                _scores[index] = _scores[index - 1];
                index--;
            }

            _rows[index] = row;
            _scores[index] = score;
            _count = Math.Min(_count + 1, _rows.Length);
        }

        public readonly SemanticCacheMatch[] ToMatches(InMemorySemanticCacheStore.Slot[] slots)
        {
            if (_count == 0)
            {
                return [];
            }

            var matches = new SemanticCacheMatch[_count];
            for (var i = 0; i < _count; i++)
            {
                matches[i] = new SemanticCacheMatch(slots[_rows[i]].Entry, _scores[i]);
            }

            return matches;
        }
    }
}
