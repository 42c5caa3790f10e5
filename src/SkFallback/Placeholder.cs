namespace SkFallback;
internal static class Placeholder { }
