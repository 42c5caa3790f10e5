using System.Globalization;
using SkFallback.Simulator;

namespace SkFallback.ConcurrencyLoad;

/// <summary>What one run measures: the stream counts, the phases, the samples per cell and the caller's deadline.</summary>
internal sealed record LoadOptions(int[] Counts, bool[] Phases, int Samples, TimeSpan CallerDeadline, string[] Clients, int Paths, FaultMix Mix)
{
    /// <summary>Streams a child sends before it measures (the last 20 at once).</summary>
    public const int WarmUpStreams = 50;

    public const string ChainModel = "gpt-4o-2024-08-06";
    public const string PeerModel = "gpt-4o-2024-11-20";
    public const string Question = "Report the harbour's traffic";
    public const int Seed = 13;

    // A fast provider (hosted models take 10–50 ms a token): the clients' own cost weighs more in a short stream.
    public const int TimeToFirstTokenMs = 20;
    public const double TokensPerSecond = 400;

    public static LoadOptions Parse(string[] args)
    {
        var counts = Value(args, "--n") is { } list ? list.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray() : [1, 50, 200];
        bool[] phases = Value(args, "--phase") switch
        {
            "healthy" => [false],
            "faulty" => [true],
            _ => [false, true],
        };
        var samples = Value(args, "--samples") is { } s ? int.Parse(s, CultureInfo.InvariantCulture) : 400;
        var deadline = TimeSpan.FromMilliseconds(Value(args, "--deadline-ms") is { } d ? double.Parse(d, CultureInfo.InvariantCulture) : 5000);
        string[] clients = Value(args, "--clients") switch
        {
            "fresh" => ["fresh"],
            "warm" => ["warm"],
            _ => ["fresh", "warm"],
        };
        return new LoadOptions(counts, phases, samples, deadline, clients, Value(args, "--paths") is { } p ? int.Parse(p, CultureInfo.InvariantCulture) : 0, ParseMix(Value(args, "--mix")));
    }

    /// <summary>The faulty phases' mix: "503,drop,stall" shares, issue 13's 0.30,0.05,0.03 by default.</summary>
    private static FaultMix ParseMix(string? shares)
    {
        if (shares is null)
        {
            return FaultMix.Flaky(Seed);
        }

        var parts = shares.Split(',').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        return new FaultMix(parts[0], parts[1], parts[2], Seed);
    }

    /// <summary>Each client has a model of its own on both servers, so each meets the same seeded faults in the same order.</summary>
    public static string ModelOf(string client) => client == "chain" ? ChainModel : PeerModel;

    /// <summary>The model a fresh client's warm-up streams to (on the healthy server).</summary>
    public static string WarmUpModelOf(string client) => "warm-up-" + ModelOf(client);

    public static string? Value(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
