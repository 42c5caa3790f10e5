using Microsoft.Extensions.AI;

namespace SkFallback.Cost;

/// <summary>
/// The prompt tokens of an image by OpenAI's documented rule for gpt-4o-class vision: 85 at <c>detail: low</c>;
/// otherwise (high, auto or none, the upper bound) 85 plus 170 per 512-pixel tile after fitting, or
/// <see cref="TokenEstimator.TokensPerImage"/> when the size cannot be read.
/// </summary>
internal static class ImageTokenCost
{
    // OpenAI vision pricing: base and per-tile tokens, tile side, and the two scaling bounds.
    internal const int BaseTokens = 85;
    internal const int TileTokens = 170;
    private const long TileSide = 512;
    private const long FitSide = 2048;
    private const long ShortSide = 768;

    /// <summary>The tokens of an image content; <paramref name="data"/> is its bytes when it has them (a <see cref="DataContent"/>).</summary>
    public static int Count(AIContent content, ReadOnlySpan<byte> data)
    {
        if (content.AdditionalProperties?.TryGetValue("detail", out var detail) == true
            && string.Equals(detail?.ToString(), "low", StringComparison.OrdinalIgnoreCase))
        {
            return BaseTokens;
        }

        return ImageHeader.TryReadSize(data, out var width, out var height) ? HighDetail(width, height) : TokenEstimator.TokensPerImage;
    }

    /// <summary>OpenAI's high-detail image cost: fit within 2048×2048, shorter side down to 768, then 85 + 170 per 512-pixel tile.</summary>
    internal static int HighDetail(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        // Integer pixels, as a resized image has: fit the longer side, then shorten the shorter side (never enlarge).
        long w = width, h = height;
        if (Math.Max(w, h) > FitSide)
        {
            (w, h) = w >= h ? (FitSide, Math.Max(1, h * FitSide / w)) : (Math.Max(1, w * FitSide / h), FitSide);
        }

        if (Math.Min(w, h) > ShortSide)
        {
            (w, h) = w <= h ? (ShortSide, h * ShortSide / w) : (w * ShortSide / h, ShortSide);
        }

        var tiles = ((w + TileSide - 1) / TileSide) * ((h + TileSide - 1) / TileSide);
        return (int)Math.Min(int.MaxValue, BaseTokens + (TileTokens * Math.Max(1, tiles)));
    }
}
