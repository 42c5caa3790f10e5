using SkFallback.Diagnostics;

namespace SkFallback.Tests.Security;

public class SecretRedactorTests
{
    [Theory]
    [InlineData("https://generativelanguage.googleapis.com/v1beta/openai?key=AIzaSyD-1234567890abcdefghij", "https://generativelanguage.googleapis.com/v1beta/openai?key=***")]
    [InlineData("https://x.example/v1?api_key=plain123&model=a", "https://x.example/v1?api_key=***&model=a")]
    [InlineData("https://x.example/v1?model=a&api-key=plain123", "https://x.example/v1?model=a&api-key=***")]
    [InlineData("https://x.example/v1?ACCESS_TOKEN=plain123#frag", "https://x.example/v1?ACCESS_TOKEN=***#frag")]
    [InlineData("https://x.example/v1?apikey=p&token=q&sig=r", "https://x.example/v1?apikey=***&token=***&sig=***")]
    [InlineData("https://user:hunter2@x.example/v1", "https://***@x.example/v1")]
    [InlineData("http://token@127.0.0.1:8000/v1?keyword=ok", "http://***@127.0.0.1:8000/v1?keyword=ok")]
    [InlineData("https://x.example/v1?monkey=ok", "https://x.example/v1?monkey=ok")]
    public void RedactUrl_CredentialsInQueryOrUserInfo_AreMasked(string url, string expected)
    {
        Assert.Equal(expected, SecretRedactor.RedactUrl(url));
    }

    [Fact]
    public void Redact_TextQuotingAUrlWithAKey_MasksTheKeyAndTheConfiguredSecret()
    {
        var redactor = new SecretRedactor(["plainConfiguredKey"]);

        var text = redactor.Redact("GET https://a.example/v1?key=zzz123 failed for plainConfiguredKey at https://u:p@b.example");

        Assert.Equal("GET https://a.example/v1?key=*** failed for *** at https://***@b.example", text);
    }

    [Fact]
    public void Describe_KeyStraddlingTheCut_IsMaskedWhole()
    {
        var key = "plainLongKeyValue0123456789";
        var redactor = new SecretRedactor([key]);

        var detail = redactor.Describe(new InvalidOperationException(new string('x', 290) + key));

        Assert.DoesNotContain("plainLong", detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Wrap_ExceptionChain_RedactsEveryLevelAndDropsData()
    {
        const string key = "plainWrappedKey42";
        var redactor = new SecretRedactor([key]);
        var original = new InvalidOperationException($"outer {key}", new IOException($"inner {key}"));
        original.Data["credential"] = key;

        var wrapped = redactor.Wrap(original, "p", FailureKind.Authentication, 401);

        Assert.DoesNotContain(key, wrapped.ToString(), StringComparison.Ordinal);
        Assert.Empty(wrapped.Data);
        Assert.Equal("System.InvalidOperationException", wrapped.OriginalType);
        var inner = Assert.IsType<ProviderException>(wrapped.InnerException);
        Assert.Equal("System.IO.IOException", inner.OriginalType);
        Assert.Equal("IOException: inner ***", inner.Message);
    }
}
