namespace SkFallback.Events;

/// <summary>One tenant's sampling rates (<c>SkFallback:Events:Tenants:{tenant}</c>); a rate left unset is the log's.</summary>
public sealed class FallbackEventTenantOptions
{
    /// <summary>Gets or sets the share of the tenant's calls that are not fallback events to log.</summary>
    /// <value>Defaults to <see langword="null"/>: <see cref="FallbackEventOptions.SampleRate"/>. Allowed range 0–1.</value>
    public double? SampleRate { get; set; }

    /// <summary>Gets or sets the share of the tenant's fallback events to log.</summary>
    /// <value>Defaults to <see langword="null"/>: <see cref="FallbackEventOptions.FallbackSampleRate"/>. Allowed range 0–1.</value>
    public double? FallbackSampleRate { get; set; }
}
