using BenchmarkDotNet.Running;

namespace SkFallback.Benchmarks;

/// <summary>Entry point: <c>dotnet run -c Release -- --filter '*'</c> (see README.md).</summary>
public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
