using Microsoft.Extensions.AI;
using SkFallback.Embeddings.MiniLM;

namespace SkFallback.SemanticKernel.Tests;

/// <summary>One local MiniLM embedding generator for every cache test, so the model is loaded once per test run.</summary>
internal static class MiniLM
{
    private static readonly Lazy<IEmbeddingGenerator<string, Embedding<float>>> Generator = new(() => new MiniLMEmbeddingGenerator());

    /// <summary>Gets the shared generator; registered as an instance, so no container disposes it.</summary>
    public static IEmbeddingGenerator<string, Embedding<float>> Shared => Generator.Value;
}
