namespace SkFallback.Embeddings.MiniLM.Tests;

/// <summary>One loaded model shared by a test class (loading it takes a moment).</summary>
public sealed class MiniLMFixture : IDisposable
{
    public MiniLMEmbeddingGenerator Generator { get; } = new();

    public void Dispose() => Generator.Dispose();
}
