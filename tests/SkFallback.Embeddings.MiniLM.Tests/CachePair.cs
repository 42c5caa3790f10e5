namespace SkFallback.Embeddings.MiniLM.Tests;

/// <summary>One labelled pair of the semantic-cache dataset (Data/semantic-cache-pairs.tsv).</summary>
internal sealed record CachePair(bool ShouldHit, string Kind, string First, string Second, string FirstContext, string SecondContext)
{
    public static IReadOnlyList<CachePair> Load()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Data", "semantic-cache-pairs.tsv");
        var pairs = new List<CachePair>();
        foreach (var line in File.ReadLines(path))
        {
            if (line.Length == 0 || line.StartsWith('#') || line.StartsWith("label\t", StringComparison.Ordinal))
            {
                continue;
            }

            var columns = line.Split('\t');
            if (columns.Length != 6 || columns[0] is not ("hit" or "miss"))
            {
                throw new InvalidDataException($"Malformed dataset line: {line}");
            }

            pairs.Add(new CachePair(columns[0] == "hit", columns[1], columns[2], columns[3], columns[4], columns[5]));
        }

        return pairs;
    }
}
