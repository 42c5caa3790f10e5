using System.Text.Json.Nodes;
using SkFallback.Simulator.Content;

namespace SkFallback.Simulator.Server;

/// <summary>The thread-safe log of requests; entries stay mutable until their response ends.</summary>
internal sealed class RequestLog(TimeProvider timeProvider)
{
    private readonly Lock _gate = new();
    private readonly List<Entry> _entries = [];
    private int _sequence;

    public Entry Add(WireFormat wire, ChatRequestSummary? request, JsonNode body)
    {
        lock (_gate)
        {
            var entry = new Entry(++_sequence, timeProvider.GetUtcNow(), wire, request, body);
            _entries.Add(entry);
            return entry;
        }
    }

    public IReadOnlyList<RecordedRequest> Snapshot(string? modelId = null)
    {
        lock (_gate)
        {
            var result = new List<RecordedRequest>(_entries.Count);
            foreach (var entry in _entries)
            {
                if (modelId is null || string.Equals(entry.Model, modelId, StringComparison.Ordinal))
                {
                    result.Add(entry.ToRecord());
                }
            }

            return result;
        }
    }

    /// <summary>Completes when every request logged so far has ended.</summary>
    public Task WhenEndedAsync()
    {
        lock (_gate)
        {
            var pending = new List<Task>();
            foreach (var entry in _entries)
            {
                if (!entry.Ended.IsCompleted)
                {
                    pending.Add(entry.Ended);
                }
            }

            return Task.WhenAll(pending);
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _entries.Clear();
            _sequence = 0;
        }
    }

    internal sealed class Entry(int sequence, DateTimeOffset timestamp, WireFormat wire, ChatRequestSummary? request, JsonNode body)
    {
        private volatile string _behaviorName = "pending";
        private volatile int _statusCode;
        private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private volatile bool _aborted;
        private volatile int _tokensSent;

        public int Sequence => sequence;

        /// <summary>Set when the response is abandoned before any status line, so none is recorded.</summary>
        public bool Dropped { get; set; }

        public string Model => request?.Model ?? string.Empty;

        public string BehaviorName
        {
            get => _behaviorName;
            set => _behaviorName = value;
        }

        public int StatusCode
        {
            get => _statusCode;
            set => _statusCode = value;
        }

        public Task Ended => _ended.Task;

        public bool Aborted
        {
            get => _aborted;
            set => _aborted = value;
        }

        public int TokensSent
        {
            get => _tokensSent;
            set => _tokensSent = value;
        }

        public bool Slow { get; set; }

        /// <summary>The model id the response reports when the script pins one (a version, or the version after a drift).</summary>
        public string? ReportedModel { get; set; }

        public void End() => _ended.TrySetResult();

        public RecordedRequest ToRecord() => new(
            sequence,
            timestamp,
            wire,
            Model,
            request?.Stream ?? false,
            _behaviorName,
            _statusCode,
            request?.LastUserMessage,
            request?.MessageCount ?? 0,
            request?.HasToolResults ?? false,
            body.DeepClone())
        {
            Continuation = request?.Continuation ?? ContinuationKind.None,
            Aborted = _aborted,
            Ended = _ended.Task.IsCompleted,
            ContentTokensSent = _tokensSent,
            SlowFirstToken = Slow,
            ReportedModel = ReportedModel,
        };
    }
}
