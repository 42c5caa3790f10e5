using Microsoft.Extensions.Compliance.Classification;

namespace SkFallback.Events;

/// <summary>
/// The data classifications the event log redacts (taxonomy <c>SkFallback</c>). With an <c>IRedactorProvider</c>
/// registered (<c>services.AddRedaction(b =&gt; b.SetHmacRedactor(..., FallbackEventData.Email))</c>), each found span
/// is replaced by that classification's redactor; without one, by a mask that names it (<c>[email]</c>).
/// </summary>
public static class FallbackEventData
{
    /// <summary>The taxonomy name of these classifications.</summary>
    public const string TaxonomyName = "SkFallback";

    /// <summary>Gets the classification of provider and gateway keys and other credentials (always redacted).</summary>
    public static DataClassification Secret { get; } = new(TaxonomyName, "Secret");

    /// <summary>Gets the classification of e-mail addresses.</summary>
    public static DataClassification Email { get; } = new(TaxonomyName, "Email");

    /// <summary>Gets the classification of phone numbers.</summary>
    public static DataClassification Phone { get; } = new(TaxonomyName, "Phone");

    /// <summary>Gets the classification of payment card numbers.</summary>
    public static DataClassification CardNumber { get; } = new(TaxonomyName, "CardNumber");
}
