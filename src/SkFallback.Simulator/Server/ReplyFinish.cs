namespace SkFallback.Simulator.Server;

/// <summary>How a successful reply ends; each wire maps it to its finish/stop reason.</summary>
internal enum ReplyFinish
{
    Stop,
    Length,
    ToolCalls,
    ContentFilter,
}
