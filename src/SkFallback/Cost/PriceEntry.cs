namespace SkFallback.Cost;

/// <summary>One model's entry of a price source, flattened: field names joined by <c>:</c> (<c>capabilities:tools</c>), values as text.</summary>
/// <param name="ModelId">The model id the entry is keyed by.</param>
/// <param name="Key">The entry's key in messages (for example <c>SkFallback:Prices:gpt-4o-2024-08-06</c>).</param>
/// <param name="Fields">The entry's fields, case-insensitive.</param>
internal readonly record struct PriceEntry(string ModelId, string Key, Dictionary<string, string?> Fields);
