using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using SkFallback.Diagnostics;

namespace SkFallback.OpenTelemetry.Tests;

/// <summary>
/// The OpenTelemetry SDK as an app would set it up with <c>AddSkFallbackInstrumentation()</c>, exporting into memory:
/// spans as they end, metrics when <see cref="Metrics"/> flushes them.
/// </summary>
internal sealed class OtelCapture : IDisposable
{
    private readonly LockedList<Activity> _spans = new();
    private readonly LockedList<MetricSnapshot> _metrics = new();
    private readonly TracerProvider _tracer;
    private readonly MeterProvider _meter;

    public OtelCapture(params string[] extraSources)
    {
        var tracing = Sdk.CreateTracerProviderBuilder().AddSkFallbackInstrumentation();
        foreach (var source in extraSources)
        {
            tracing.AddSource(source);
        }

        _tracer = tracing.SetSampler(new AlwaysOnSampler()).AddInMemoryExporter(_spans).Build()!;
        var metering = Sdk.CreateMeterProviderBuilder().AddSkFallbackInstrumentation();
        foreach (var source in extraSources)
        {
            metering.AddMeter(source);
        }

        _meter = metering.AddInMemoryExporter(_metrics).Build()!;
    }

    public List<Activity> Spans => _spans.Snapshot();

    /// <summary>Every span of the trace an attempt at <paramref name="model"/> belongs to.</summary>
    public List<Activity> TraceOf(string model)
    {
        var spans = Spans;
        var attempt = spans.First(s => (string?)s.GetTagItem(FallbackTelemetry.RequestModelTag) == model);
        return spans.Where(s => s.TraceId == attempt.TraceId).ToList();
    }

    /// <summary>Waits (bounded) until the trace of <paramref name="model"/> holds <paramref name="count"/> spans: a race's loser ends after the answer.</summary>
    public async Task<List<Activity>> TraceOfAsync(string model, int count)
    {
        for (var i = 0; i < 500; i++)
        {
            if (Spans.Any(s => (string?)s.GetTagItem(FallbackTelemetry.RequestModelTag) == model) && TraceOf(model) is { } trace && trace.Count >= count)
            {
                return trace;
            }

            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        return Spans.Any(s => (string?)s.GetTagItem(FallbackTelemetry.RequestModelTag) == model) ? TraceOf(model) : [];
    }

    /// <summary>The metric points recorded so far, flattened: instrument, meter, tags, and the histogram count or sum value.</summary>
    public List<Point> Metrics()
    {
        _metrics.Clear();
        _meter.ForceFlush();
        var points = new List<Point>();
        foreach (var metric in _metrics.Snapshot())
        {
            foreach (var point in metric.MetricPoints)
            {
                var tags = new Dictionary<string, object?>();
                foreach (var tag in point.Tags)
                {
                    tags[tag.Key] = tag.Value;
                }

                var histogram = metric.MetricType is MetricType.Histogram;
                var value = histogram ? point.GetHistogramSum() : metric.MetricType switch
                {
                    MetricType.LongSum => point.GetSumLong(),
                    MetricType.DoubleSum => point.GetSumDouble(),
                    MetricType.LongGauge => point.GetGaugeLastValueLong(),
                    MetricType.DoubleGauge => point.GetGaugeLastValueDouble(),
                    _ => 0,
                };
                points.Add(new Point(metric.Name, metric.MeterName, tags, histogram ? point.GetHistogramCount() : 0, value));
            }
        }

        return points;
    }

    /// <summary>A trace as text, for a failing assertion's message.</summary>
    public static string Describe(IEnumerable<Activity> trace) => string.Join("\n", trace.Select(s =>
        $"{s.Source.Name} | {s.DisplayName} | {s.Kind} | {s.SpanId} <- {s.ParentSpanId} | {string.Join(", ", s.TagObjects.Select(t => $"{t.Key}={(t.Value is string[] a ? string.Join("/", a) : t.Value)}"))}"));

    public void Dispose()
    {
        _tracer.Dispose();
        _meter.Dispose();
    }

    internal sealed record Point(string Instrument, string Meter, Dictionary<string, object?> Tags, long Count, double Value)
    {
        public object? Tag(string key) => Tags.TryGetValue(key, out var value) ? value : null;
    }
}
