using Microsoft.Extensions.AI;
using SkFallback.Routing;

namespace SkFallback.Engine;

/// <summary>How one non-streaming attempt ended: a good response, or the failure (with <see cref="Expired"/> when the chain's deadline had passed before it started).</summary>
internal readonly record struct SendOutcome(ChatResponse? Response, FailureClassification Failure, Attempt Attempt, bool Expired);
