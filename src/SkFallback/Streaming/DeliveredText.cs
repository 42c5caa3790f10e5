using System.Buffers;
using System.Text;
using Microsoft.Extensions.AI;

namespace SkFallback.Streaming;

/// <summary>
/// The updates a caller has received in one stream, kept by reference (never copied) in a pooled array, so that a
/// stream broken after commit can be continued from exactly the text delivered.
/// </summary>
internal struct DeliveredText
{
    private ChatResponseUpdate[]? _updates;
    private int _count;

    /// <summary>Gets a value indicating whether any update was delivered.</summary>
    public readonly bool Any => _count > 0;

    /// <summary>Gets the number of updates delivered.</summary>
    public readonly int Count => _count;

    /// <summary>The updates delivered from position <paramref name="start"/> on (one provider's part of the answer).</summary>
    public readonly ReadOnlySpan<ChatResponseUpdate> Since(int start) =>
        _updates is null ? default : _updates.AsSpan(start, _count - start);

    /// <summary>Records an update the caller is about to receive. The hot path: one array store.</summary>
    public void Add(ChatResponseUpdate update)
    {
        var updates = _updates;
        if (updates is null || _count == updates.Length)
        {
            updates = Grow();
        }

        updates[_count++] = update;
    }

    /// <summary>The text delivered so far.</summary>
    public readonly string Text()
    {
        var builder = new StringBuilder();
        for (var i = 0; i < _count; i++)
        {
            var contents = _updates![i].Contents;
            for (var c = 0; c < contents.Count; c++)
            {
                if (contents[c] is TextContent text)
                {
                    builder.Append(text.Text);
                }
            }
        }

        return builder.ToString();
    }

    /// <summary>The first message id among the delivered updates, or <see langword="null"/>.</summary>
    public readonly string? FirstMessageId()
    {
        for (var i = 0; i < _count; i++)
        {
            if (_updates![i].MessageId is { Length: > 0 } id)
            {
                return id;
            }
        }

        return null;
    }

    /// <summary>Returns the array to the pool.</summary>
    public void Release()
    {
        if (_updates is { } updates)
        {
            Array.Clear(updates, 0, _count);
            ArrayPool<ChatResponseUpdate>.Shared.Return(updates);
            _updates = null;
            _count = 0;
        }
    }

    private ChatResponseUpdate[] Grow()
    {
        var next = ArrayPool<ChatResponseUpdate>.Shared.Rent(Math.Max(64, _count * 2));
        if (_updates is { } old)
        {
            Array.Copy(old, next, _count);
            Array.Clear(old, 0, _count);
            ArrayPool<ChatResponseUpdate>.Shared.Return(old);
        }

        _updates = next;
        return next;
    }
}
