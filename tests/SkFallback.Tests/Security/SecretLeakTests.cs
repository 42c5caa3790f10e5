using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
using Microsoft.Extensions.AI;
using OpenAI;
using SkFallback.Diagnostics;
using SkFallback.Simulator;
using SkFallback.Tests.Caching;
using SkFallback.Tests.Wire;

namespace SkFallback.Tests.Security;

/// <summary>
/// A provider that echoes the credential in its 401 body, for every provider kind, streaming and not: the key is in
/// nothing the chain throws (message, ToString, inner exceptions, Data), logs at Trace, or tags on spans, span events
/// and metrics.
/// </summary>
public class SecretLeakTests : IClassFixture<SimulatorFixture>
{
    private readonly SimulatorFixture _fixture;

    public SecretLeakTests(SimulatorFixture fixture)
    {
        _fixture = fixture;
    }

    public static TheoryData<string, bool> KindsAndModes()
    {
        var data = new TheoryData<string, bool>();
        foreach (var kind in ProviderKinds.All)
        {
            data.Add(kind, false);
            data.Add(kind, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(KindsAndModes))]
    public async Task EchoedKey_EveryKind_AppearsInNoExceptionLogSpanOrMetric(string kind, bool streaming)
    {
        // A plain key, not shaped like sk-…: only the exact match of the configured key can catch it.
        var key = $"plain{kind}Secret{(streaming ? 1 : 0)}Value4821";
        var model = $"echo-{kind}-{streaming}-2024-01-01".ToLowerInvariant();
        _fixture.Simulator.Model(model).Always(SimulatedBehavior.UnauthorizedEcho());
        using var capture = new TelemetryCapture();
        var logs = new ListLoggerFactory();
        var options = new FallbackOptions { MaxRetriesPerProvider = 0 };
        options.Add(Provider(kind, model, key));
        using var client = new FallbackChatClient(options, loggerFactory: logs);

        var thrown = await Assert.ThrowsAnyAsync<Exception>(() => Ask(client, streaming));

        var exhausted = Assert.IsType<FallbackExhaustedException>(thrown);
        Assert.Equal(FailureKind.Authentication, exhausted.Attempts[0].Outcome);
        var inner = Assert.IsType<ProviderException>(exhausted.InnerException);
        Assert.Equal("p", inner.Provider);
        AssertNoKey(key, Everything(thrown), logs, capture);
    }

    [Theory]
    [InlineData(WireFormat.OpenAI, false)]
    [InlineData(WireFormat.OpenAI, true)]
    [InlineData(WireFormat.Anthropic, false)]
    [InlineData(WireFormat.Anthropic, true)]
    public async Task EchoedKey_FailureThatDoesNotFallBack_ThrowsRedactedProviderException(WireFormat wire, bool streaming)
    {
        var key = $"plainStopSecret{wire}{streaming}";
        var model = $"echo-stop-{wire}-{streaming}-2024-01-01".ToLowerInvariant();
        _fixture.Simulator.Model(model).Always(SimulatedBehavior.UnauthorizedEcho());
        using var capture = new TelemetryCapture();
        var logs = new ListLoggerFactory();
        var options = new FallbackOptions { MaxRetriesPerProvider = 0, FallbackOn = [FailureKind.ServerError] };
        options.Add(Provider(wire == WireFormat.OpenAI ? ProviderKinds.OpenAI : ProviderKinds.Anthropic, model, key));
        using var client = new FallbackChatClient(options, loggerFactory: logs);

        var thrown = await Assert.ThrowsAnyAsync<Exception>(() => Ask(client, streaming));

        var provider = Assert.IsType<ProviderException>(thrown);
        Assert.Equal(FailureKind.Authentication, provider.Kind);
        Assert.Equal(401, provider.StatusCode);
        Assert.Contains("***", provider.ToString(), StringComparison.Ordinal);
        AssertNoKey(key, Everything(thrown), logs, capture);
    }

    [Fact]
    public async Task EchoedKey_ExposeProviderExceptions_PassesTheSdkExceptionOn()
    {
        const string key = "plainExposedSecret77";
        const string model = "echo-exposed-2024-01-01";
        _fixture.Simulator.Model(model).Always(SimulatedBehavior.UnauthorizedEcho());
        var options = new FallbackOptions { MaxRetriesPerProvider = 0, ExposeProviderExceptions = true };
        options.Add(Provider(ProviderKinds.OpenAI, model, key));
        using var client = new FallbackChatClient(options);

        var thrown = await Assert.ThrowsAsync<FallbackExhaustedException>(() => Ask(client, streaming: false));

        Assert.IsNotType<ProviderException>(thrown.InnerException);
        Assert.Contains(key, thrown.InnerException!.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(key, thrown.Message, StringComparison.Ordinal);
    }

    private ProviderOptions Provider(string kind, string model, string key)
    {
        var sim = _fixture.Simulator;
        var anthropic = kind == ProviderKinds.Anthropic;
        var endpoint = anthropic ? sim.AnthropicEndpoint : sim.OpenAIEndpoint;
        var provider = new ProviderOptions { Name = "p", Kind = kind, Model = model, ApiKey = key, Endpoint = endpoint };
        if (kind == ProviderKinds.Custom)
        {
            // A caller-built SDK client: the chain knows the key only because the entry names it.
            provider.Endpoint = null;
            provider.Client = new OpenAI.Chat.ChatClient(model, new System.ClientModel.ApiKeyCredential(key), new OpenAIClientOptions
            {
                Endpoint = endpoint,
                RetryPolicy = new System.ClientModel.Primitives.ClientRetryPolicy(0),
            }).AsIChatClient();
        }

        return provider;
    }

    private static async Task Ask(FallbackChatClient client, bool streaming)
    {
        if (!streaming)
        {
            await client.GetResponseAsync("hi", cancellationToken: TestContext.Current.CancellationToken);
            return;
        }

        await foreach (var _ in client.GetStreamingResponseAsync("hi", cancellationToken: TestContext.Current.CancellationToken))
        {
        }
    }

    /// <summary>Everything an app could print of an exception: ToString of it and every inner exception, and its Data.</summary>
    private static string Everything(Exception exception)
    {
        var text = new StringBuilder();
        for (var current = exception; current is not null; current = current.InnerException)
        {
            text.AppendLine(current.ToString()).AppendLine(current.Message).AppendLine(current.StackTrace);
            foreach (System.Collections.DictionaryEntry entry in current.Data)
            {
                text.Append(entry.Key).Append('=').Append(entry.Value).AppendLine();
            }
        }

        return text.ToString();
    }

    private static void AssertNoKey(string key, string thrown, ListLoggerFactory logs, TelemetryCapture capture)
    {
        Assert.DoesNotContain(key, thrown, StringComparison.Ordinal);
        Assert.NotEmpty(logs.Lines);
        foreach (var (_, message) in logs.Lines)
        {
            Assert.DoesNotContain(key, message, StringComparison.Ordinal);
        }

        Assert.NotEmpty(capture.Activities);
        Assert.DoesNotContain(key, capture.Text(), StringComparison.Ordinal);
    }
}

/// <summary>Listens to the chain's spans (tags, status, events) and metrics (tags), as text.</summary>
internal sealed class TelemetryCapture : IDisposable
{
    private readonly ActivityListener _activities;
    private readonly MeterListener _meters = new();
    private readonly List<Activity> _stopped = [];
    private readonly StringBuilder _measurements = new();

    public TelemetryCapture()
    {
        _activities = new ActivityListener
        {
            ShouldListenTo = source => source.Name == FallbackTelemetry.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                lock (_stopped)
                {
                    _stopped.Add(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(_activities);
        _meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == FallbackTelemetry.SourceName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _meters.SetMeasurementEventCallback<long>((_, _, tags, _) => Record(tags));
        _meters.SetMeasurementEventCallback<double>((_, _, tags, _) => Record(tags));
        _meters.SetMeasurementEventCallback<int>((_, _, tags, _) => Record(tags));
        _meters.Start();
    }

    public IReadOnlyList<Activity> Activities
    {
        get
        {
            lock (_stopped)
            {
                return [.. _stopped];
            }
        }
    }

    public string Text()
    {
        var text = new StringBuilder();
        foreach (var activity in Activities)
        {
            text.AppendLine(activity.DisplayName).AppendLine(activity.StatusDescription);
            foreach (var tag in activity.TagObjects)
            {
                text.Append(tag.Key).Append('=').Append(tag.Value).AppendLine();
            }

            foreach (var e in activity.Events)
            {
                text.AppendLine(e.Name);
                foreach (var tag in e.Tags)
                {
                    text.Append(tag.Key).Append('=').Append(tag.Value).AppendLine();
                }
            }
        }

        lock (_measurements)
        {
            text.Append(_measurements);
        }

        return text.ToString();
    }

    public void Dispose()
    {
        _activities.Dispose();
        _meters.Dispose();
    }

    private void Record(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        lock (_measurements)
        {
            foreach (var tag in tags)
            {
                _measurements.Append(tag.Key).Append('=').Append(tag.Value).AppendLine();
            }
        }
    }
}
