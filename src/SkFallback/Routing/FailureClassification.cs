namespace SkFallback.Routing;

/// <summary>The verdict on one failed attempt.</summary>
internal readonly record struct FailureClassification(FailureKind Kind, int? StatusCode, TimeSpan? RetryAfter, string Detail);
