using Microsoft.Extensions.Options;

namespace SkFallback.Qdrant.Tests;

public sealed class QdrantCacheOptionsValidatorTests
{
    private const string Secret = "qd-secret-7f3a9c";

    private static IReadOnlyList<string> Failures(QdrantCacheOptions options, string section = QdrantCacheOptions.SectionName)
    {
        var result = new QdrantCacheOptionsValidator(section).Validate(Options.DefaultName, options);
        return result.Failed ? [.. result.Failures] : [];
    }

    [Fact]
    public void Validate_EndpointAndDefaults_Succeeds()
    {
        Assert.Empty(Failures(new QdrantCacheOptions { Endpoint = "http://127.0.0.1:6334" }));
        Assert.Empty(Failures(new QdrantCacheOptions { Endpoint = "https://qdrant.example.com:6334", ApiKey = Secret, CleanupInterval = TimeSpan.Zero, OutageBackoff = TimeSpan.Zero }));
    }

    [Fact]
    public void Validate_MissingEndpoint_NamesTheKey()
    {
        var failure = Assert.Single(Failures(new QdrantCacheOptions()));
        Assert.StartsWith("SkFallback:Cache:Qdrant:Endpoint is required", failure);
    }

    [Theory]
    [InlineData("127.0.0.1:6334")]
    [InlineData("ftp://127.0.0.1:6334")]
    [InlineData("not a uri")]
    public void Validate_EndpointNotHttp_NamesTheKey(string endpoint)
    {
        var failure = Assert.Single(Failures(new QdrantCacheOptions { Endpoint = endpoint }));
        Assert.StartsWith("SkFallback:Cache:Qdrant:Endpoint must be an absolute http or https URI", failure);
    }

    [Fact]
    public void Validate_EndpointWithCredentials_NamesTheKeyWithoutRepeatingThem()
    {
        var failure = Assert.Single(Failures(new QdrantCacheOptions { Endpoint = $"https://admin:{Secret}@qdrant.example.com:6334" }));
        Assert.StartsWith("SkFallback:Cache:Qdrant:Endpoint must not carry a user name or password", failure);
        Assert.DoesNotContain(Secret, failure);
    }

    [Fact]
    public void Validate_EndpointWithPath_NamesTheKey()
    {
        var failure = Assert.Single(Failures(new QdrantCacheOptions { Endpoint = "http://127.0.0.1:6333/collections" }));
        Assert.Equal("SkFallback:Cache:Qdrant:Endpoint must be scheme, host and port only, with no path or query (was 'http://127.0.0.1:6333/collections').", failure);
    }

    [Fact]
    public void Validate_ApiKeyWithWhitespace_NamesTheKeyNeverItsValue()
    {
        var failure = Assert.Single(Failures(new QdrantCacheOptions { Endpoint = "http://127.0.0.1:6334", ApiKey = Secret + " \n" }));
        Assert.Equal("SkFallback:Cache:Qdrant:ApiKey must not be empty or contain whitespace when set.", failure);
    }

    [Theory]
    [InlineData("")]
    [InlineData("cache/")]
    [InlineData("has space")]
    public void Validate_BadCollectionPrefix_NamesTheKey(string prefix)
    {
        var failure = Assert.Single(Failures(new QdrantCacheOptions { Endpoint = "http://127.0.0.1:6334", CollectionPrefix = prefix }));
        Assert.StartsWith("SkFallback:Cache:Qdrant:CollectionPrefix must be 1 to 64 letters, digits, '-' or '_'", failure);
    }

    [Fact]
    public void Validate_DurationsOutOfRange_NameEachKeyAndItsRange()
    {
        var failures = Failures(new QdrantCacheOptions
        {
            Endpoint = "http://127.0.0.1:6334",
            Timeout = TimeSpan.FromMilliseconds(10),
            OutageBackoff = TimeSpan.FromSeconds(-1),
            CollectionRefreshInterval = TimeSpan.FromHours(2),
            CleanupInterval = TimeSpan.FromMilliseconds(500),
        });

        Assert.Equal(
            [
                "SkFallback:Cache:Qdrant:Timeout must be between 00:00:00.0500000 and 00:02:00 (was 00:00:00.0100000).",
                "SkFallback:Cache:Qdrant:OutageBackoff must be between 00:00:00 and 00:10:00 (was -00:00:01).",
                "SkFallback:Cache:Qdrant:CollectionRefreshInterval must be between 00:00:01 and 01:00:00 (was 02:00:00).",
                "SkFallback:Cache:Qdrant:CleanupInterval must be between 00:00:01 and 1.00:00:00 or 00:00:00 to disable it (was 00:00:00.5000000).",
            ],
            failures);
    }

    [Fact]
    public void Validate_OtherSection_PrefixesItsPath()
    {
        var failure = Assert.Single(Failures(new QdrantCacheOptions(), "App:Qdrant"));
        Assert.StartsWith("App:Qdrant:Endpoint is required", failure);
    }

    [Fact]
    public void Constructor_InvalidOptions_ThrowsListingEveryProblem()
    {
        var error = Assert.Throws<OptionsValidationException>(() => new QdrantSemanticCacheStore(new QdrantCacheOptions { ApiKey = Secret + " ", Timeout = TimeSpan.Zero }));

        Assert.Equal(3, error.Failures.Count());
        Assert.Contains("SkFallback:Cache:Qdrant:Endpoint is required", error.Message);
        Assert.Contains("SkFallback:Cache:Qdrant:Timeout", error.Message);
        Assert.DoesNotContain(Secret, error.Message);
    }
}
