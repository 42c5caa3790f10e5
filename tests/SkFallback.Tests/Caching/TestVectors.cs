namespace SkFallback.Tests.Caching;

/// <summary>Deterministic vectors for store tests: random unit vectors and vectors at a chosen cosine to another.</summary>
internal static class TestVectors
{
    public static float[] Random(int seed, int dimensions = 16)
    {
        var random = new Random(seed);
        var v = new float[dimensions];
        for (var i = 0; i < v.Length; i++)
        {
            var u1 = 1.0 - random.NextDouble();
            var u2 = random.NextDouble();
            v[i] = (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
        }

        return Normalize(v);
    }

    /// <summary>A unit vector whose cosine with <paramref name="v"/> (a unit vector) is <paramref name="cosine"/>.</summary>
    public static float[] AtCosine(float[] v, double cosine, int seed)
    {
        var u = Random(seed, v.Length);
        var along = Dot(u, v);
        for (var i = 0; i < u.Length; i++)
        {
            u[i] -= (float)(along * v[i]);
        }

        u = Normalize(u);
        var sine = Math.Sqrt(1 - (cosine * cosine));
        var w = new float[v.Length];
        for (var i = 0; i < w.Length; i++)
        {
            w[i] = (float)((cosine * v[i]) + (sine * u[i]));
        }

        return w;
    }

    public static double Dot(float[] a, float[] b)
    {
        double sum = 0;
        for (var i = 0; i < a.Length; i++)
        {
            sum += (double)a[i] * b[i];
        }

        return sum;
    }

    private static float[] Normalize(float[] v)
    {
        var norm = Math.Sqrt(Dot(v, v));
        for (var i = 0; i < v.Length; i++)
        {
            v[i] = (float)(v[i] / norm);
        }

        return v;
    }
}
