using SkFallback.Diagnostics;

namespace SkFallback.Events;

/// <summary>An event as the call left it (texts as they were) with the chain's credential redactor, waiting for the writer to redact it.</summary>
internal sealed record PendingEvent(FallbackEvent Raw, SecretRedactor Secrets);
