using System.Collections.Concurrent;
using System.Numerics.Tensors;

namespace SkFallback.Caching;

/// <summary>
/// Sign codes of random hyperplane projections: bit i of a vector's code is the sign of its dot product with the i-th
/// of a fixed set of Gaussian directions. For two vectors at angle θ each bit differs with probability θ/π, so the
/// number of differing bits follows a binomial law, which bounds how far apart the codes of a true match can be.
/// </summary>
internal static class HyperplaneCode
{
    /// <summary>Standard deviations above the mean code distance at the threshold angle that still pass the prefilter.</summary>
    private const double Sigmas = 6.0;

    private static readonly ConcurrentDictionary<int, float[]> Planes = new();

    public static int WordsFor(int dimensions) => (dimensions + 63) / 64;

    /// <summary>Writes the code of <paramref name="vector"/>, one bit per hyperplane, 64 hyperplanes per word.</summary>
    public static void Compute(ReadOnlySpan<float> vector, Span<ulong> code)
    {
        var dimensions = vector.Length;
        var planes = Planes.GetOrAdd(dimensions, CreatePlanes);
        var bits = code.Length * 64;
        code.Clear();
        for (var b = 0; b < bits; b++)
        {
            if (TensorPrimitives.Dot(planes.AsSpan(b * dimensions, dimensions), vector) >= 0)
            {
                code[b >> 6] |= 1UL << (b & 63);
            }
        }
    }

    /// <summary>The largest code distance a vector with cosine <paramref name="minSimilarity"/> to the query reaches, but for a one-in-a-billion chance.</summary>
    public static int MaxDistance(int bits, float minSimilarity)
    {
        var cosine = Math.Clamp((double)minSimilarity, -1.0, 1.0);
        var p = Math.Acos(cosine) / Math.PI;
        var mean = bits * p;
        var deviation = Math.Sqrt(bits * p * (1 - p));
        return (int)Math.Ceiling(mean + (Sigmas * deviation)) + 1;
    }

    /// <summary>Gaussian directions from a fixed seed, so every store in every process derives the same codes.</summary>
    private static float[] CreatePlanes(int dimensions)
    {
        var bits = WordsFor(dimensions) * 64;
        var random = new Random(unchecked((dimensions * 7919) + 17));
        var planes = new float[bits * dimensions];
        for (var i = 0; i < planes.Length; i++)
        {
            // Box–Muller: two uniforms to one standard normal.
            var u1 = 1.0 - random.NextDouble();
            var u2 = random.NextDouble();
            planes[i] = (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
        }

        return planes;
    }
}
