using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace SkFallback.ConcurrencyLoad;

/// <summary>
/// Where the allocations go, by type: the runtime's allocation ticks (one about every 100 KB allocated, naming the type
/// that crossed it), summed per type. A diagnostic (<c>--allocation-types</c>), not a measurement of its own.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private readonly ConcurrentDictionary<string, long> _bytes = new();

    public IReadOnlyDictionary<string, long> Top(int count) =>
        _bytes.OrderByDescending(p => p.Value).Take(count).ToDictionary(p => p.Key, p => p.Value);

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)0x1); // GC keyword: AllocationTick at Verbose
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventName?.StartsWith("GCAllocationTick", StringComparison.Ordinal) != true || eventData.Payload is null)
        {
            return;
        }

        var names = eventData.PayloadNames!;
        var type = eventData.Payload[names.IndexOf("TypeName")] as string ?? "?";
        var amount = Convert.ToInt64(eventData.Payload[names.IndexOf("AllocationAmount64")], System.Globalization.CultureInfo.InvariantCulture);
        _bytes.AddOrUpdate(type, amount, (_, sum) => sum + amount);
    }
}
