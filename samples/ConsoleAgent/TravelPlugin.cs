using System.ComponentModel;
using Microsoft.SemanticKernel;

namespace ConsoleAgent;

/// <summary>The agent's tools. Each counts its runs, so the demo can show that none ran twice.</summary>
public sealed class TravelPlugin
{
    private int _runs;

    /// <summary>Gets how many times any function of the plugin ran.</summary>
    public int Runs => Volatile.Read(ref _runs);

    [KernelFunction("get_weather")]
    [Description("Gets today's weather for a city.")]
    public string GetWeather([Description("The city")] string city)
    {
        Interlocked.Increment(ref _runs);
        return $"18 C and clear skies in {city}";
    }

    [KernelFunction("convert_currency")]
    [Description("Converts an amount between currencies at today's rate.")]
    public string ConvertCurrency(
        [Description("The amount")] double amount,
        [Description("ISO code to convert from")] string from,
        [Description("ISO code to convert to")] string to)
    {
        Interlocked.Increment(ref _runs);
        var rate = (from.ToUpperInvariant(), to.ToUpperInvariant()) switch
        {
            ("EUR", "USD") => 1.08,
            ("USD", "EUR") => 0.93,
            _ => 1.0,
        };
        return $"{amount} {from} is {Math.Round(amount * rate, 2)} {to}";
    }
}
