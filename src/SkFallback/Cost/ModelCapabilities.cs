namespace SkFallback.Cost;

/// <summary>What a model accepts besides plain text.</summary>
[Flags]
public enum ModelCapabilities
{
    /// <summary>Plain text only.</summary>
    None = 0,

    /// <summary>Tool (function) calling.</summary>
    Tools = 1,

    /// <summary>Image input.</summary>
    Vision = 2,

    /// <summary>JSON mode or structured output.</summary>
    Json = 4,
}
