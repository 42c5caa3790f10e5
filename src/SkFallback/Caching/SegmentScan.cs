namespace SkFallback.Caching;

/// <summary>How <see cref="VectorSegment"/> searches: the store always uses <see cref="Auto"/>; tests force the others to compare them.</summary>
internal enum SegmentScan
{
    /// <summary>The sign-code bound for segments of at least <see cref="InMemorySemanticCacheStore.PrefilterThreshold"/> rows, on the fastest path the processor has.</summary>
    Auto,

    /// <summary>The exact cosine of every row.</summary>
    Full,

    /// <summary>The sign-code bound at any size, on the fastest path the processor has.</summary>
    Prefilter,

    /// <summary>The sign-code bound at any size with AVX2 only (the portable path where AVX2 is missing).</summary>
    PrefilterAvx2,

    /// <summary>The sign-code bound at any size, without processor-specific instructions.</summary>
    PrefilterPortable,
}
