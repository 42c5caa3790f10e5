namespace SkFallback.Events;

/// <summary>
/// The fallback-event log (section <c>SkFallback:Events</c>): which calls are logged whole, how they are redacted, and
/// where they go. Validated at startup, naming the key at fault.
/// </summary>
public sealed class FallbackEventOptions
{
    /// <summary>Gets or sets a value indicating whether calls are logged at all.</summary>
    /// <value>Defaults to <see langword="false"/> in the library (it writes files); the gateway's <c>appsettings.json</c> turns it on.</value>
    public bool Enabled { get; set; }

    /// <summary>Gets or sets the share of calls that are not fallback events (answered at once, caller errors, cancelled) to log.</summary>
    /// <value>Defaults to 0.01 (1%). Allowed range 0–1.</value>
    public double SampleRate { get; set; } = 0.01;

    /// <summary>Gets or sets the share of fallback events (fell back, continued, hedged, refused, exhausted) to log.</summary>
    /// <value>Defaults to 1 (every one). Allowed range 0–1.</value>
    public double FallbackSampleRate { get; set; } = 1.0;

    /// <summary>Gets per-tenant rates, by tenant name (case-insensitive), overriding the two rates above.</summary>
    public IDictionary<string, FallbackEventTenantOptions> Tenants { get; } = new Dictionary<string, FallbackEventTenantOptions>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Gets or sets where events go.</summary>
    /// <value>Defaults to <see cref="FallbackEventSinkKind.File"/>; a sink given in code or registered in the service collection is used whatever this says.</value>
    public FallbackEventSinkKind Sink { get; set; } = FallbackEventSinkKind.File;

    /// <summary>Gets or sets the directory of the event files (relative to the current directory unless rooted).</summary>
    /// <value>Defaults to <c>fallback-events</c>. Must not be empty.</value>
    public string Directory { get; set; } = "fallback-events";

    /// <summary>Gets or sets the event files' name prefix (<see cref="FallbackEventFiles"/>); replicas sharing a directory need one each.</summary>
    /// <value>Defaults to <c>fallback-events</c>. Letters, digits, <c>.</c>, <c>_</c> and <c>-</c> only.</value>
    public string FilePrefix { get; set; } = FallbackEventFiles.DefaultPrefix;

    /// <summary>Gets or sets the size past which the current file is closed and a new one opened.</summary>
    /// <value>Defaults to 10 MiB. Allowed range 1 KiB–4 GiB. A file may pass it by one batch of events.</value>
    public long MaxFileBytes { get; set; } = 10L * 1024 * 1024;

    /// <summary>Gets or sets how many event files are kept; the oldest beyond it are deleted at each rotation.</summary>
    /// <value>Defaults to 20. Allowed range 1–100000.</value>
    public int RetainFiles { get; set; } = 20;

    /// <summary>Gets or sets how many days a closed event file is kept after it was closed.</summary>
    /// <value>Defaults to 7. Allowed range 0–3650; 0 keeps files whatever their age (only <see cref="RetainFiles"/> applies).</value>
    public int RetainDays { get; set; } = 7;

    /// <summary>Gets or sets how many events may wait for the writer; past it new events are dropped and counted (<c>skfallback.events.dropped</c>).</summary>
    /// <value>Defaults to 1024. Allowed range 1–1000000.</value>
    public int QueueCapacity { get; set; } = 1024;

    /// <summary>Gets or sets a value indicating whether e-mail addresses are redacted.</summary>
    /// <value>Defaults to <see langword="true"/>. Provider and gateway keys are always redacted.</value>
    public bool RedactEmails { get; set; } = true;

    /// <summary>Gets or sets a value indicating whether phone numbers are redacted.</summary>
    /// <value>Defaults to <see langword="true"/>.</value>
    public bool RedactPhones { get; set; } = true;

    /// <summary>Gets or sets a value indicating whether payment card numbers (13–19 digits passing the Luhn check) are redacted.</summary>
    /// <value>Defaults to <see langword="true"/>.</value>
    public bool RedactCards { get; set; } = true;

    /// <summary>Gets or sets the most characters any one text of an event keeps (a message, the answer, a partial output); the rest is cut.</summary>
    /// <value>Defaults to 32768. Allowed range 256–16777216.</value>
    public int MaxTextLength { get; set; } = 32 * 1024;
}
