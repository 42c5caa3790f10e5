using Microsoft.Extensions.Compliance.Redaction;

namespace SkFallback.Events;

/// <summary>The default redactor of a classification: the whole value becomes a fixed mask such as <c>[email]</c>.</summary>
internal sealed class MaskRedactor(string mask) : Redactor
{
    public override int GetRedactedLength(ReadOnlySpan<char> input) => mask.Length;

    public override int Redact(ReadOnlySpan<char> source, Span<char> destination)
    {
        mask.AsSpan().CopyTo(destination);
        return mask.Length;
    }
}
