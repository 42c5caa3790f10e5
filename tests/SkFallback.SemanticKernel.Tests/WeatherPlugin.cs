using System.ComponentModel;
using Microsoft.SemanticKernel;

namespace SkFallback.SemanticKernel.Tests;

/// <summary>A plugin whose one function counts how often it ran.</summary>
public sealed class WeatherPlugin
{
    private int _invocations;

    public int Invocations => Volatile.Read(ref _invocations);

    [KernelFunction(Chains.FunctionName)]
    [Description("Gets the current weather for a city.")]
    public string GetWeather([Description("The city")] string city)
    {
        Interlocked.Increment(ref _invocations);
        return $"sunny in {city}";
    }
}
