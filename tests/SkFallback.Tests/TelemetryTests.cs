using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using SkFallback.Diagnostics;
using SkFallback.Tests.Fakes;

namespace SkFallback.Tests;

[Collection(nameof(TelemetryTests))]
[CollectionDefinition(nameof(TelemetryTests), DisableParallelization = true)]
public class TelemetryTests
{
    [Fact]
    public async Task Fallback_EmitsAttemptAndFallbackMetricsAndAnActivity()
    {
        var a = new TestChatClient("tel-a") { OnResponse = (_, _, _) => throw Chain.Status(503) };
        var b = new TestChatClient("tel-b");
        var options = Chain.Options(a, b);
        options.MaxRetriesPerProvider = 0;
        using var client = new FallbackChatClient(options);

        var measurements = new List<(string Instrument, long Value, Dictionary<string, object?> Tags)>();
        using var meterListener = new MeterListener();
        meterListener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == FallbackTelemetry.SourceName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        meterListener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var map = new Dictionary<string, object?>();
            foreach (var tag in tags)
            {
                map[tag.Key] = tag.Value;
            }

            lock (measurements)
            {
                measurements.Add((instrument.Name, value, map));
            }
        });
        meterListener.Start();

        var activities = new List<Activity>();
        using var activityListener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == FallbackTelemetry.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity => { lock (activities) { activities.Add(activity); } },
        };
        ActivitySource.AddActivityListener(activityListener);

        await client.GetResponseAsync("hi", cancellationToken: TestContext.Current.CancellationToken);

        List<(string Instrument, long Value, Dictionary<string, object?> Tags)> mine;
        lock (measurements)
        {
            mine = measurements.Where(m => m.Tags.TryGetValue(FallbackTelemetry.ProviderTag, out var p) && ((string?)p)!.StartsWith("tel-", StringComparison.Ordinal)).ToList();
        }

        Assert.Contains(mine, m => m.Instrument == FallbackTelemetry.AttemptsInstrument && (string?)m.Tags[FallbackTelemetry.ProviderTag] == "tel-a" && (string?)m.Tags[FallbackTelemetry.OutcomeTag] == "ServerError");
        Assert.Contains(mine, m => m.Instrument == FallbackTelemetry.AttemptsInstrument && (string?)m.Tags[FallbackTelemetry.ProviderTag] == "tel-b" && (string?)m.Tags[FallbackTelemetry.OutcomeTag] == "None");
        Assert.Contains(mine, m => m.Instrument == FallbackTelemetry.FallbacksInstrument && (string?)m.Tags[FallbackTelemetry.ReasonTag] == "ServerError");
        var activity = Assert.Single(activities, x => x.OperationName == FallbackTelemetry.CallActivityName && (string?)x.GetTagItem(FallbackTelemetry.ProviderTag) == "tel-b");
        Assert.Equal("skfallback.chat", activity.OperationName);
        Assert.Equal(2, activity.GetTagItem(FallbackTelemetry.AttemptCountTag));
    }

    [Fact]
    public async Task Fallback_LogsAttemptFailureWithoutSecrets()
    {
        const string key = "sk-live-0123456789abcdefghij";
        var a = new TestChatClient("log-a") { OnResponse = (_, _, _) => throw new InvalidOperationException($"denied for {key}") };
        var b = new TestChatClient("log-b");
        var options = Chain.Options(a, b);
        options.Providers[0].ApiKey = key;
        var sink = new ListLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(builder => builder.AddProvider(sink).SetMinimumLevel(LogLevel.Debug));
        using var client = new FallbackChatClient(options, loggerFactory: loggerFactory);

        await client.GetResponseAsync("hi", cancellationToken: TestContext.Current.CancellationToken);

        Assert.Contains(sink.Lines, l => l.Contains("Provider log-a", StringComparison.Ordinal) && l.Contains("Unknown", StringComparison.Ordinal));
        Assert.Contains(sink.Lines, l => l.Contains("Falling back from log-a to log-b", StringComparison.Ordinal));
        Assert.DoesNotContain(sink.Lines, l => l.Contains(key, StringComparison.Ordinal));
    }

    private sealed class ListLoggerProvider : ILoggerProvider
    {
        public List<string> Lines { get; } = [];

        public ILogger CreateLogger(string categoryName) => new ListLogger(this);

        public void Dispose()
        {
        }

        private sealed class ListLogger(ListLoggerProvider owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                lock (owner.Lines)
                {
                    owner.Lines.Add(formatter(state, exception));
                }
            }
        }
    }
}

[Collection(nameof(TelemetryTests))]
public class BreakerTelemetryTests
{
    [Fact]
    public async Task BreakerOpens_TransitionCounterAndStateGaugeReportIt()
    {
        var a = new TestChatClient("gauge-a") { OnResponse = (_, _, _) => throw Chain.Status(503) };
        var options = Chain.Options(a, new TestChatClient("gauge-b"));
        options.MaxRetriesPerProvider = 0;
        using var client = new FallbackChatClient(options);
        var transitions = new List<(string Provider, string To)>();
        var states = new List<(string Provider, int State)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == FallbackTelemetry.SourceName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, _, tags, _) =>
        {
            if (instrument.Name == FallbackTelemetry.BreakerTransitionsInstrument)
            {
                var map = tags.ToArray().ToDictionary(t => t.Key, t => t.Value);
                lock (transitions)
                {
                    transitions.Add(((string)map[FallbackTelemetry.ProviderTag]!, (string)map[FallbackTelemetry.ToStateTag]!));
                }
            }
        });
        listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) =>
        {
            if (instrument.Name == FallbackTelemetry.BreakerStateInstrument)
            {
                var provider = (string)tags.ToArray().Single(t => t.Key == FallbackTelemetry.ProviderTag).Value!;
                lock (states)
                {
                    states.Add((provider, value));
                }
            }
        });
        listener.Start();

        for (var i = 0; i < 3; i++)
        {
            await client.GetResponseAsync("hi", cancellationToken: TestContext.Current.CancellationToken);
        }

        listener.RecordObservableInstruments();

        Assert.Contains(("gauge-a/gauge-a-2024-01-01", "Open"), transitions);
        Assert.Contains(("gauge-a/gauge-a-2024-01-01", 2), states);
        Assert.Contains(("gauge-b/gauge-b-2024-01-01", 0), states);
    }
}
