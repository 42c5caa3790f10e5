namespace SkFallback.Anthropic;
internal static class Placeholder { }
