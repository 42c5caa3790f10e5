using System.Collections;

namespace SkFallback.Routing;

/// <summary>
/// The attempts of one call, as every answer carries them (<see cref="FallbackMetadataKeys.Attempts"/>). Most calls
/// make one attempt, so the first is held in a field and a list is made only for a second.
/// </summary>
internal sealed class AttemptList : IReadOnlyList<FallbackAttempt>
{
    private FallbackAttempt? _first;
    private List<FallbackAttempt>? _rest;

    public int Count => _first is null ? 0 : 1 + (_rest?.Count ?? 0);

    public FallbackAttempt this[int index]
    {
        get
        {
            if (index == 0 && _first is not null)
            {
                return _first;
            }

            if (index < 1 || _rest is null || index > _rest.Count)
            {
                throw new ArgumentOutOfRangeException(nameof(index), index, $"The call has {Count} attempts.");
            }

            return _rest[index - 1];
        }
    }

    public void Add(FallbackAttempt attempt)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        if (_first is null)
        {
            _first = attempt;
            return;
        }

        (_rest ??= new(2)).Add(attempt);
    }

    public void AddRange(AttemptList attempts)
    {
        var count = attempts.Count;
        for (var i = 0; i < count; i++)
        {
            Add(attempts[i]);
        }
    }

    public bool TrueForAll(Predicate<FallbackAttempt> match)
    {
        var count = Count;
        for (var i = 0; i < count; i++)
        {
            if (!match(this[i]))
            {
                return false;
            }
        }

        return true;
    }

    public bool Exists(Predicate<FallbackAttempt> match) => !TrueForAll(a => !match(a));

    public FallbackAttempt[] ToArray()
    {
        var array = new FallbackAttempt[Count];
        for (var i = 0; i < array.Length; i++)
        {
            array[i] = this[i];
        }

        return array;
    }

    public IEnumerator<FallbackAttempt> GetEnumerator()
    {
        var count = Count;
        for (var i = 0; i < count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
