using System.Text.Json;
using System.Text.Json.Serialization;

namespace SkFallback.Cli.Evaluation.Runs;

/// <summary>Reads and writes run files (and any JSON the commands print): camelCase, indented, nulls left out.</summary>
internal static class RunFiles
{
    /// <summary>The serializer options of every JSON the tool writes.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Writes a run, creating the folder.</summary>
    public static async Task WriteAsync(string path, EvalRun run, CancellationToken cancellationToken)
    {
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } folder)
        {
            Directory.CreateDirectory(folder);
        }

        await using var stream = File.Create(path);
        await JsonSerializer.SerializeAsync(stream, run, Json, cancellationToken);
    }

    /// <summary>Reads a run; a missing or malformed file is a usage error naming it.</summary>
    public static async Task<EvalRun> ReadAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            throw new CliUsageException($"no run file '{path}'");
        }

        try
        {
            await using var stream = File.OpenRead(path);
            var run = await JsonSerializer.DeserializeAsync<EvalRun>(stream, Json, cancellationToken);
            return run is { Format: EvalRun.CurrentFormat } ? run : throw new CliUsageException($"'{path}' is not a run file of format {EvalRun.CurrentFormat}");
        }
        catch (JsonException exception)
        {
            throw new CliUsageException($"'{path}' is not a run file: {exception.Message}", exception);
        }
    }
}
