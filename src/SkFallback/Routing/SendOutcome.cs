using Microsoft.Extensions.AI;

namespace SkFallback.Routing;

/// <summary>How one non-streaming attempt ended: a good response, or the failure (with <see cref="Expired"/> when the chain's deadline had passed before it started).</summary>
internal readonly record struct SendOutcome(ChatResponse? Response, FailureClassification Failure, AttemptScope Attempt, bool Expired);
