using CsCheck;
using SkFallback.Caching;

namespace SkFallback.Tests.Caching;

/// <summary>The sign-code bound: a vector whose cosine reaches the threshold is never ruled out, and unrelated ones mostly are.</summary>
public sealed class SignCodeTests
{
    [Theory]
    [InlineData(384)]
    [InlineData(100)]
    [InlineData(72)]
    [InlineData(8)]
    public void MayReach_PairsAtTheThreshold_NeverRuledOut(int dimensions)
    {
        var checkedPairs = 0;
        foreach (var threshold in new[] { 0.01f, 0.3f, 0.5f, 0.7f, 0.8f, 0.85f, 0.9f, 0.95f, 0.99f, 0.999f })
        {
            for (var seed = 0; seed < 60; seed++)
            {
                var y = Shaped(seed, dimensions);
                foreach (var above in new[] { 0.0, 1e-6, 1e-4, 1e-3, 0.02 })
                {
                    var x = TestVectors.AtCosine(y, Math.Min(1.0, threshold + above), (seed * 7) + 1);
                    if (Score(x, y) >= threshold)
                    {
                        Assert.True(SignCode.MayReach(Unit(x), Unit(y), threshold), $"cosine {Score(x, y)} at threshold {threshold}, seed {seed}, {dimensions} dimensions");
                        checkedPairs++;
                    }
                }
            }
        }

        Assert.True(checkedPairs > 1000, $"only {checkedPairs} pairs checked");
    }

    [Fact]
    public void MayReach_AnyPairReachingTheThreshold_NeverRuledOut()
    {
        // Random dimensions, shapes, cosines and thresholds; whenever the exact score reaches the threshold the bound must allow it.
        Gen.Select(Gen.Int[1, 520], Gen.Int[0, 1_000_000], Gen.Double[-0.2, 1.0], Gen.Float[0.001f, 1f]).Sample((dimensions, seed, cosine, threshold) =>
        {
            var y = Shaped(seed, dimensions);
            var x = dimensions == 1 ? (float[])y.Clone() : TestVectors.AtCosine(y, cosine, seed + 1);
            var reaches = Score(x, y) >= threshold;
            return !reaches || SignCode.MayReach(Unit(x), Unit(y), threshold);
        }, iter: 20_000);
    }

    [Fact]
    public void MayReach_UnrelatedVectors_AlmostAlwaysRuledOut()
    {
        var passed = 0;
        for (var i = 0; i < 2000; i++)
        {
            if (SignCode.MayReach(TestVectors.Random(i, 384), TestVectors.Random(10_000 + i, 384), 0.85f))
            {
                passed++;
            }
        }

        Assert.True(passed <= 2, $"{passed} of 2000 unrelated vectors passed the bound at 0.85");
    }

    [Fact]
    public void MayReach_ThresholdAtOrBelowZero_AlwaysTrue()
    {
        var x = TestVectors.Random(1, 64);
        var y = x.Select(v => -v).ToArray();
        Assert.True(SignCode.MayReach(x, y, 0f));
        Assert.True(SignCode.MayReach(x, y, -0.5f));
        Assert.True(SignCode.MayReach(x, y, float.NaN));
    }

    [Fact]
    public void Encode_SignsAndNorms_AsDefined()
    {
        float[] row = [0.5f, -0.5f, 0.5f, 0f, 0f, 0f, 0f, 0f, -0.5f];
        var code = new byte[SignCode.BytesFor(row.Length)];
        var (l1, residual) = SignCode.Encode(row, code);
        Assert.Equal([0b0000_0101, 0], code);
        Assert.Equal(2f, l1);
        Assert.Equal(MathF.Sqrt(16 - 4), residual, 5);
    }

    /// <summary>Vectors of several shapes: Gaussian, sparse, one-hot, and anisotropic (a shared direction plus noise, like text embeddings).</summary>
    internal static float[] Shaped(int seed, int dimensions)
    {
        var v = TestVectors.Random(seed, dimensions);
        switch (seed % 4)
        {
            case 1:
                for (var i = 0; i < v.Length; i++)
                {
                    v[i] = i % 7 == seed % 7 ? v[i] : 0;
                }

                if (v.All(c => c == 0))
                {
                    v[0] = 1;
                }

                break;
            case 2:
                Array.Clear(v);
                v[seed % dimensions] = seed % 8 == 2 ? -1 : 1;
                break;
            case 3:
                for (var i = 0; i < v.Length; i++)
                {
                    v[i] = (0.3f * v[i]) + (i % 3 == 0 ? 0.2f : 0.05f);
                }

                break;
        }

        return Unit(v);
    }

    internal static float[] Unit(float[] v)
    {
        var u = new float[v.Length];
        SignCode.Normalize(v, u);
        return u;
    }

    /// <summary>The score the store computes: the dot product of the normalised vectors.</summary>
    internal static float Score(float[] x, float[] y) => SignCode.Dot(Unit(x), Unit(y));
}
