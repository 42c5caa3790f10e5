namespace SkFallback.Streaming;

/// <summary>How a call's streams are held before commit.</summary>
/// <param name="DetectRefusal">Whether refusals are failures (so the buffer probes the answer's opening).</param>
/// <param name="ProbeLength">How much text the refusal probe needs (0 without one).</param>
/// <param name="BufferWhole">Whether the whole answer is held (<see cref="StreamingMode.BufferWhole"/>).</param>
internal readonly record struct StreamRules(bool DetectRefusal, int ProbeLength, bool BufferWhole);
