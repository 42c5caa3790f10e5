using Microsoft.SemanticKernel;
using SkFallback;
using Spectre.Console;

namespace ConsoleAgent;

/// <summary>
/// Splits a streamed answer into the parts each provider wrote. A new part starts where the model id of the updates
/// changes (or where an update names a new provider); the last update of a continued stream lists, in order, the
/// providers whose parts the answer joins (<see cref="FallbackMetadataKeys.ContinuedFrom"/>).
/// </summary>
internal sealed class StreamSeams
{
    private readonly List<(string? Provider, string? Model, System.Text.StringBuilder Text)> _segments = [];
    private IReadOnlyList<string>? _continuedFrom;

    /// <summary>Takes one streamed chunk: a new model or provider opens a new part, text goes to the current one.</summary>
    public void Add(StreamingChatMessageContent chunk)
    {
        var provider = chunk.Metadata?.TryGetValue(FallbackMetadataKeys.Provider, out var name) == true ? name as string : null;
        if (chunk.Metadata?.TryGetValue(FallbackMetadataKeys.ContinuedFrom, out var joined) == true && joined is IReadOnlyList<string> providers)
        {
            _continuedFrom = providers;
        }

        if (string.IsNullOrEmpty(chunk.Content))
        {
            return;
        }

        var current = _segments.Count == 0 ? default : _segments[^1];
        if (_segments.Count == 0
            || (chunk.ModelId is not null && current.Model is not null && chunk.ModelId != current.Model)
            || (provider is not null && current.Provider is not null && provider != current.Provider))
        {
            _segments.Add((provider, chunk.ModelId, new System.Text.StringBuilder()));
        }
        else if (current.Provider is null && provider is not null)
        {
            _segments[^1] = (provider, current.Model ?? chunk.ModelId, current.Text);
        }

        _segments[^1].Text.Append(chunk.Content);
    }

    /// <summary>Gets whether the stream broke after text had reached the user and another provider continued it.</summary>
    public bool Continued => _continuedFrom is { Count: > 1 };

    /// <summary>Shows which provider wrote which part of a continued answer, with the seam marked.</summary>
    public void Print()
    {
        if (!Continued)
        {
            return;
        }

        AnsiConsole.MarkupLine($"[bold]the stream broke mid-answer and was continued:[/] {Markup.Escape(string.Join(" → ", _continuedFrom!))}");
        var colors = new[] { "deepskyblue1", "orange1", "mediumpurple1" };
        var joined = new System.Text.StringBuilder();
        for (var i = 0; i < _segments.Count; i++)
        {
            var (provider, model, text) = _segments[i];

            // The chain names the first part's provider on its first update; the others are named by the joined list.
            var name = provider ?? (_segments.Count == _continuedFrom!.Count ? _continuedFrom[i] : model ?? "?");
            var color = colors[i % colors.Length];
            AnsiConsole.MarkupLine($"  [{color}]{Markup.Escape(name),-10}[/] wrote {Words(text.ToString())} words: [{color}]{Markup.Escape(text.ToString())}[/]");
            joined.Append(i == 0 ? string.Empty : "[red]‖[/]").Append('[').Append(color).Append(']').Append(Markup.Escape(text.ToString())).Append("[/]");
        }

        AnsiConsole.MarkupLine($"  [grey]joined, the seam marked ‖:[/] {joined}");
    }

    private static int Words(string text) => text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
}
