using System.Text.Json.Serialization;
using Microsoft.Extensions.AI;

namespace SkFallback;

/// <summary>One provider of a fallback chain: where to send requests, with which pinned model and credentials.</summary>
public sealed class ProviderOptions
{
    /// <summary>Gets or sets the provider's unique name within the chain; it appears in attempts, logs and telemetry.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>Gets or sets the provider kind, one of <see cref="ProviderKinds"/>.</summary>
    /// <value>Defaults to <see cref="ProviderKinds.OpenAI"/>.</value>
    public string Kind { get; set; } = ProviderKinds.OpenAI;

    /// <summary>Gets or sets the pinned model id (for example <c>gpt-4o-2024-08-06</c>). Aliases such as <c>-latest</c> are rejected unless <see cref="FallbackOptions.AllowModelAliases"/> is set.</summary>
    public string Model { get; set; } = string.Empty;

    /// <summary>Gets or sets the API key. Never logged; required for hosted kinds.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Gets or sets the endpoint. Required for <see cref="ProviderKinds.OpenAICompatible"/>; optional override for the other kinds (presets fill it in).</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>Gets or sets the maximum number of output tokens to ask for when the request does not say.</summary>
    /// <value>Defaults to <see langword="null"/> (the provider's default; Anthropic requires one, so 4096 is used there).</value>
    public int? MaxOutputTokens { get; set; }

    /// <summary>Gets or sets the model's context window in tokens, when known. After a context-length error the chain skips providers whose window is not larger.</summary>
    public int? ContextWindow { get; set; }

    /// <summary>Gets or sets the per-attempt total timeout for this provider, overriding <see cref="FallbackOptions.AttemptTimeout"/>.</summary>
    public TimeSpan? AttemptTimeout { get; set; }

    /// <summary>Gets or sets the time-to-first-token timeout for this provider, overriding <see cref="FallbackOptions.FirstTokenTimeout"/>.</summary>
    public TimeSpan? FirstTokenTimeout { get; set; }

    /// <summary>Gets or sets the stall timeout between stream updates for this provider, overriding <see cref="Streaming.StreamingOptions.StallTimeout"/>.</summary>
    public TimeSpan? StallTimeout { get; set; }

    /// <summary>Gets or sets the shortest adaptive stall limit for this provider (for models that pause while reasoning), overriding <see cref="Streaming.StreamingOptions.StallFloor"/>.</summary>
    public TimeSpan? StallFloor { get; set; }

    /// <summary>Gets or sets this provider's multiple of its p99 update gap that is a stall (0 turns adaptation off), overriding <see cref="Streaming.StreamingOptions.StallFactor"/>.</summary>
    public double? StallFactor { get; set; }

    /// <summary>
    /// Gets or sets how this provider is asked to continue an answer another provider left unfinished.
    /// </summary>
    /// <value>
    /// Defaults to <see langword="null"/>: assistant prefill for Anthropic, echoed prefix completion for Mistral, prefix
    /// completion for DeepSeek's beta endpoint, an instructed continuation for everything else. A provider that answers a
    /// prefill or prefix continuation with a 400 (Claude models from 4.6 on reject prefill) is asked again with an
    /// instructed continuation, and its later continuations are instructed.
    /// </value>
    public Streaming.ContinuationMode? Continuation { get; set; }

    /// <summary>Gets or sets how many times this provider may be retried within one call, overriding <see cref="FallbackOptions.MaxRetriesPerProvider"/>.</summary>
    public int? MaxRetries { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether a response or stream without a finish reason counts as a failure
    /// (<see cref="FailureKind.TruncatedStream"/>).
    /// </summary>
    /// <value>Defaults to <see langword="null"/>: on for the built-in kinds, whose SDKs always report one; off for <see cref="ProviderKinds.Custom"/>.</value>
    public bool? RequireFinishReason { get; set; }

    /// <summary>Gets or sets the DI service key of an <see cref="IChatClient"/> to use for a <see cref="ProviderKinds.Custom"/> provider.</summary>
    public string? ServiceKey { get; set; }

    /// <summary>Gets or sets the client to use for a <see cref="ProviderKinds.Custom"/> provider (code only; not bound from configuration).</summary>
    [JsonIgnore]
    public IChatClient? Client { get; set; }

    /// <summary>Gets or sets an <see cref="HttpClient"/> for the built-in kinds to send requests with (code only); by default one is created per provider.</summary>
    [JsonIgnore]
    public HttpClient? HttpClient { get; set; }

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Kind}, {Model})";
}
