using System.Buffers;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.CompilerServices;

namespace SkFallback.Caching;

/// <summary>
/// The sign code of a unit vector and the exact bound it gives on cosine similarity, which lets a search skip a vector
/// without reading it and without ever skipping one that reaches the threshold.
/// </summary>
/// <remarks>
/// <para>
/// Bit i of a stored vector x is the sign of x[i], read as b[i] = ±1 over the D dimensions padded to whole bytes. With
/// A = ⟨x, b⟩ = ‖x‖₁ and, for a query y, B = ⟨y, b⟩, the parts of x and y orthogonal to b have lengths √(1 − A²/D) and
/// √(1 − B²/D), so Cauchy–Schwarz gives ⟨x, y⟩ ≤ (A·B + R·√(D − B²)) / D with R = √(D − A²): the cosine of the
/// difference between the angles x and y make with b. That bound grows with B up to B = A, so for a threshold t in
/// [0, 1] no vector with ⟨x, y⟩ ≥ t has B &lt; A·t − R·√(1 − t²).
/// </para>
/// <para>
/// B is the sum, over the D/4 nibbles of the code, of a query table entry indexed by the nibble: the sum of ±y[i] over
/// its four bits. The tables are rounded to 6 bits (so four entries add in a byte), and the largest rounding error of
/// each table is added back, so the B computed from the rounded tables plus that error is never below the true B. The
/// threshold is lowered by <see cref="Slack"/> to absorb float rounding: in the stored vectors, in the table entries
/// and error sums (a few units of 1e-6 in B), and in the rescoring.
/// Vectors that pass get their exact cosine computed; the rest provably score below the threshold.
/// </para>
/// </remarks>
internal static class SignCode
{
    /// <summary>Table entries are rounded to 0..63, so four of them (two code bytes) add in one byte without overflow.</summary>
    public const int TableLevels = 63;

    /// <summary>Cosine margin below the threshold: far above float rounding of normalised vectors and of a dot product.</summary>
    public const double Slack = 1e-3;

    /// <summary>Bytes per nibble table: its 16 entries written four times, so a 512-bit shuffle looks up 64 codes at once.</summary>
    public const int TableStride = 64;

    /// <summary>The most code bytes a vector may have for the bound: beyond it (4,096 dimensions) a sum could overflow 16 bits.</summary>
    public const int MaxCodeBytes = 512;

    /// <summary>Code bytes per vector: one bit per dimension, padded to whole bytes.</summary>
    public static int BytesFor(int dimensions) => (dimensions + 7) / 8;

    /// <summary>
    /// Writes the sign bits of <paramref name="row"/> (a unit vector) to <paramref name="code"/> (one byte per 8
    /// dimensions, bit m of byte j for dimension 8j+m) and returns A = ‖row‖₁ and R = √(D − A²).
    /// </summary>
    public static (float L1, float Residual) Encode(ReadOnlySpan<float> row, Span<byte> code)
    {
        code.Clear();
        double l1 = 0;
        for (var i = 0; i < row.Length; i++)
        {
            if (row[i] > 0)
            {
                code[i >> 3] |= (byte)(1 << (i & 7));
            }

            l1 += Math.Abs((double)row[i]);
        }

        var padded = code.Length * 8.0;
        return ((float)l1, (float)Math.Sqrt(Math.Max(0, padded - (l1 * l1))));
    }

    /// <summary>
    /// Fills the query tables (16 entries per nibble, written <see cref="TableStride"/> / 16 times) and returns the cut-off: a stored vector can reach <paramref name="minSimilarity"/> only when its
    /// table sum is at least <see cref="Cutoff.For"/> of its A and R. <see langword="null"/> when no bound applies
    /// (a threshold at or below zero or not a number): the caller then scores every vector.
    /// </summary>
    /// <param name="query">The normalised query.</param>
    /// <param name="tables"><see cref="TableStride"/> bytes per nibble: <c>BytesFor(query.Length) * 2 * TableStride</c> bytes.</param>
    /// <param name="minSimilarity">The threshold.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static Cutoff? BuildTables(ReadOnlySpan<float> query, Span<byte> tables, float minSimilarity)
    {
        if (!(minSimilarity > 0))
        {
            return null;
        }

        // Nibbles are handled eight at a time, one per lane: column m holds y[4k+m] for nibble k (zero past the end).
        var nibbles = tables.Length / TableStride;
        var padded = (nibbles + 7) & ~7;
        float[]? rented = null;
        var columns = padded <= 256
            ? stackalloc float[4 * padded]
            : (rented = ArrayPool<float>.Shared.Rent(4 * padded)).AsSpan(0, 4 * padded);
        try
        {
            columns.Clear();
            for (var i = 0; i < query.Length; i++)
            {
                columns[((i & 3) * padded) + (i >> 2)] = query[i];
            }

            ref var y = ref MemoryMarshal.GetReference(columns);
            var widest = Widest(ref y, padded);
            if (!(widest > 0))
            {
                return null;
            }

            var step = widest / TableLevels;
            var offset = WriteTables(ref y, padded, nibbles, step, tables);
            Replicate(tables, nibbles);

            // B ≤ Σlow + step·Q + Σerror, so a vector can reach t only if Q ≥ (A·t − R·√(1 − t²) − Σlow − Σerror) / step.
            var t = Math.Clamp(minSimilarity - Slack, 0, 1);
            var s = Math.Sqrt(1 - (t * t));
            return new Cutoff((float)(t / step), (float)(s / step), (float)(offset / step));
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<float>.Shared.Return(rented);
            }
        }
    }

    /// <summary>The width of the widest nibble table: the smallest entry of nibble k is -Σ|y[4k+m]|, and a table spans twice that.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Widest(ref float y, int padded)
    {
        var lowest = Vector256<float>.Zero;
        for (var k = 0; k < padded; k += 8)
        {
            lowest = Vector256.Min(lowest, Low(ref y, k, padded));
        }

        var widest = 0f;
        for (var lane = 0; lane < 8; lane++)
        {
            widest = Math.Max(widest, -2 * lowest.GetElement(lane));
        }

        return widest;
    }

    /// <summary>Writes the 16 entries of every nibble table, rounded to levels of <paramref name="step"/>, and returns Σlow + Σerror.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double WriteTables(ref float y, int padded, int nibbles, float step, Span<byte> tables)
    {
        var stepVector = Vector256.Create(step);
        var perStep = Vector256.Create(1 / step);
        var top = Vector256.Create((float)TableLevels);
        double offset = 0;
        Span<int> levels = stackalloc int[8];
        for (var k = 0; k < padded; k += 8)
        {
            var low = Low(ref y, k, padded);
            var error = Vector256<float>.Zero;
            for (var n = 0; n < 16; n++)
            {
                // Entry n: Σ ±y[4k+m], plus where bit m of n is set; rounded to a level of the step.
                var entry = -low;
                for (var m = 0; m < 4; m++)
                {
                    var column = Vector256.LoadUnsafe(ref y, (nuint)((m * padded) + k));
                    entry = (n & (1 << m)) != 0 ? entry + column : entry - column;
                }

                // The error is measured from the level actually stored, so how the level was rounded does not matter.
                var level = Vector256.Clamp(Vector256.Round(entry * perStep), Vector256<float>.Zero, top);
                error = Vector256.Max(error, Vector256.Abs(entry - (level * stepVector)));
                Vector256.ConvertToInt32(level).CopyTo(levels);
                for (var lane = 0; lane < 8 && k + lane < nibbles; lane++)
                {
                    tables[((k + lane) * TableStride) + n] = (byte)levels[lane];
                }
            }

            // Padding lanes have zero low and zero error.
            offset += Vector256.Sum(low) + Vector256.Sum(error);
        }

        return offset;
    }

    /// <summary>Copies each table's 16 entries over the rest of its <see cref="TableStride"/> bytes.</summary>
    private static void Replicate(Span<byte> tables, int nibbles)
    {
        for (var k = 0; k < nibbles; k++)
        {
            var table = tables.Slice(k * TableStride, TableStride);
            for (var copy = 16; copy < TableStride; copy += 16)
            {
                table[..16].CopyTo(table[copy..]);
            }
        }
    }

    /// <summary>The smallest entries of nibbles k to k + 7: -Σ|y[4k+m]| over their four columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Low(ref float y, int k, int padded) =>
        -(Vector256.Abs(Vector256.LoadUnsafe(ref y, (nuint)k)) + Vector256.Abs(Vector256.LoadUnsafe(ref y, (nuint)(padded + k)))
            + Vector256.Abs(Vector256.LoadUnsafe(ref y, (nuint)((2 * padded) + k))) + Vector256.Abs(Vector256.LoadUnsafe(ref y, (nuint)((3 * padded) + k))));

    /// <summary>The dot product of two vectors of equal length, fully optimised from the first call (the exact score of a lookup).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        ref var a = ref MemoryMarshal.GetReference(x);
        ref var b = ref MemoryMarshal.GetReference(y);
        var length = Math.Min(x.Length, y.Length);
        var i = 0;
        float sum;
        if (Vector512.IsHardwareAccelerated && length >= 32)
        {
            var first = Vector512<float>.Zero;
            var second = Vector512<float>.Zero;
            for (; i + 32 <= length; i += 32)
            {
                first = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref a, (nuint)i), Vector512.LoadUnsafe(ref b, (nuint)i), first);
                second = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref a, (nuint)(i + 16)), Vector512.LoadUnsafe(ref b, (nuint)(i + 16)), second);
            }

            sum = Vector512.Sum(first + second);
        }
        else if (Vector256.IsHardwareAccelerated && length >= 16)
        {
            var first = Vector256<float>.Zero;
            var second = Vector256<float>.Zero;
            for (; i + 16 <= length; i += 16)
            {
                first = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref a, (nuint)i), Vector256.LoadUnsafe(ref b, (nuint)i), first);
                second = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref a, (nuint)(i + 8)), Vector256.LoadUnsafe(ref b, (nuint)(i + 8)), second);
            }

            sum = Vector256.Sum(first + second);
        }
        else
        {
            sum = 0;
        }

        for (; i < length; i++)
        {
            sum = MathF.FusedMultiplyAdd(Unsafe.Add(ref a, i), Unsafe.Add(ref b, i), sum);
        }

        return sum;
    }

    /// <summary>Table sum of one code from the first 16 bytes of each nibble's table (the portable path).</summary>
    public static int Sum(ReadOnlySpan<byte> tables, ReadOnlySpan<byte> code)
    {
        var sum = 0;
        for (var j = 0; j < code.Length; j++)
        {
            sum += Sum(tables, j, code[j]);
        }

        return sum;
    }

    /// <summary>Table sum of code byte <paramref name="j"/> (two nibbles).</summary>
    public static int Sum(ReadOnlySpan<byte> tables, int j, byte value) =>
        tables[(2 * j * TableStride) + (value & 0x0F)] + tables[(((2 * j) + 1) * TableStride) + (value >> 4)];

    /// <summary>The smallest table sum with which a stored vector can still reach the threshold, as a function of its A and R.</summary>
    /// <param name="PerL1">Multiplies A.</param>
    /// <param name="PerResidual">Multiplies R (subtracted).</param>
    /// <param name="Offset">Subtracted.</param>
    internal readonly record struct Cutoff(float PerL1, float PerResidual, float Offset)
    {
        public float For(float l1, float residual) => (l1 * PerL1) - (residual * PerResidual) - Offset;
    }

    /// <summary>A check of the bound itself, for tests: the exact cosine can only reach the threshold when this holds.</summary>
    internal static bool MayReach(ReadOnlySpan<float> row, ReadOnlySpan<float> query, float minSimilarity)
    {
        var code = new byte[BytesFor(row.Length)];
        var (l1, residual) = Encode(row, code);
        var tables = new byte[code.Length * 2 * TableStride];
        if (BuildTables(query, tables, minSimilarity) is not { } cutoff)
        {
            return true;
        }

        return Sum(tables, code) >= cutoff.For(l1, residual);
    }

    /// <summary>The exact ⟨b, y⟩, for tests of the rounding bound.</summary>
    internal static double SignedSum(ReadOnlySpan<float> row, ReadOnlySpan<float> query)
    {
        double sum = 0;
        for (var i = 0; i < row.Length; i++)
        {
            sum += row[i] > 0 ? query[i] : -query[i];
        }

        return sum;
    }

    /// <summary>Normalises <paramref name="source"/> into <paramref name="destination"/>, fully optimised from the first call.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Normalize(ReadOnlySpan<float> source, Span<float> destination)
    {
        var norm = MathF.Sqrt(Dot(source, source));
        if (norm == 0 || float.IsNaN(norm) || float.IsInfinity(norm))
        {
            throw new ArgumentException("A cache vector must have a finite, non-zero length.");
        }

        for (var i = 0; i < source.Length; i++)
        {
            destination[i] = source[i] / norm;
        }
    }
}
