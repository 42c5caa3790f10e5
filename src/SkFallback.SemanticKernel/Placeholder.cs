namespace SkFallback.SemanticKernel;
internal static class Placeholder { }
