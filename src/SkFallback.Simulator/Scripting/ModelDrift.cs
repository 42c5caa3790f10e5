namespace SkFallback.Simulator.Scripting;

/// <summary>
/// A scripted version switch: after <see cref="AfterRequests"/> requests the model reports <see cref="Version"/> on
/// the wire and answers the prompts in <see cref="Answers"/> differently.
/// </summary>
/// <param name="AfterRequests">How many requests the model answers as before the switch (0 switches at once).</param>
/// <param name="Version">The model id reported after the switch.</param>
/// <param name="Answers">The new answers, by prompt; prompts not listed keep their answers.</param>
internal sealed record ModelDrift(int AfterRequests, string Version, IReadOnlyDictionary<string, SimulatedBehavior> Answers);
