namespace SkFallback.Shared;

/// <summary>
/// The one definition of the instructed-continuation message, compiled into the engine (which sends it) and the
/// simulator (which recognises it): the instruction, a line feed, the opening tag, a line feed, the partial answer
/// exactly as delivered, a line feed and the closing tag.
/// </summary>
internal static class ContinuationFormat
{
    public const string Instruction =
        "Your previous reply in this conversation was cut off. Continue it from exactly where it stops: do not repeat any of it, add no preamble, and keep its language and format. The reply so far is between the tags below.";

    public const string OpeningTag = "<partial_reply>";

    public const string ClosingTag = "</partial_reply>";

    private const string Head = Instruction + "\n" + OpeningTag + "\n";
    private const string Tail = "\n" + ClosingTag;

    public static string Build(string partialAnswer)
    {
        ArgumentNullException.ThrowIfNull(partialAnswer);
        return string.Concat(Head, partialAnswer, Tail);
    }

    public static bool TryParse(string? message, out string partialAnswer)
    {
        if (message is not null
            && message.Length >= Head.Length + Tail.Length
            && message.StartsWith(Head, StringComparison.Ordinal)
            && message.EndsWith(Tail, StringComparison.Ordinal))
        {
            partialAnswer = message[Head.Length..^Tail.Length];
            return true;
        }

        partialAnswer = string.Empty;
        return false;
    }
}
