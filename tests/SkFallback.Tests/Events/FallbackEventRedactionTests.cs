using Microsoft.Extensions.AI;
using Microsoft.Extensions.Compliance.Classification;
using Microsoft.Extensions.Compliance.Redaction;
using SkFallback.Events;
using SkFallback.Tests.Fakes;

namespace SkFallback.Tests.Events;

/// <summary>Redaction before any sink: keys always; e-mail addresses, phone and card numbers by default; custom redactors after.</summary>
public class FallbackEventRedactionTests
{
    private const string ProviderKey = "prov-key-7d1e9c0b55aa";
    private const string GatewayKey = "sk-skf-Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZg";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<FallbackEvent> LogOneAsync(string userText, Action<FallbackEventOptions>? configure = null, IRedactorProvider? provider = null, IFallbackEventRedactor? custom = null)
    {
        var sink = new MemoryEventSink();
        var options = new FallbackEventOptions { Enabled = true, SampleRate = 1 };
        configure?.Invoke(options);
        await using var log = new FallbackEventLog(options, sink, redactorProvider: provider, redactors: custom is null ? null : [custom], secrets: ["gw-dev-key-0123456789"]);
        var a = new TestChatClient("a") { OnResponse = (_, _, _) => Task.FromException<ChatResponse>(new HttpRequestException($"401: invalid key {ProviderKey}", null, System.Net.HttpStatusCode.Unauthorized)) };
        var b = new TestChatClient("b") { OnResponse = (m, _, _) => Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "echo: " + m.Last().Text)) { FinishReason = ChatFinishReason.Stop }) };
        var chain = Chain.Options(a, b);
        chain.Providers[0].ApiKey = ProviderKey;
        using var client = new FallbackChatClient(chain, eventLog: log);

        await client.GetResponseAsync(userText, cancellationToken: Ct);
        await log.FlushAsync(Ct);
        return Assert.Single(sink.Events);
    }

    [Fact]
    public async Task Keys_ProviderGatewayAndKeyShaped_AlwaysRedacted()
    {
        var e = await LogOneAsync($"my key is {ProviderKey}, gateway {GatewayKey}, dev gw-dev-key-0123456789, bearer: Bearer abcdefgh12345678", o =>
        {
            o.RedactEmails = false;
            o.RedactPhones = false;
            o.RedactCards = false;
        });

        var json = FallbackEventJson.Serialize(e);
        Assert.DoesNotContain(ProviderKey, json, StringComparison.Ordinal);
        Assert.DoesNotContain(GatewayKey, json, StringComparison.Ordinal);
        Assert.DoesNotContain("gw-dev-key-0123456789", json, StringComparison.Ordinal);
        Assert.DoesNotContain("abcdefgh12345678", json, StringComparison.Ordinal);
        Assert.Contains("***", e.Request[0].Text, StringComparison.Ordinal);
        Assert.DoesNotContain(ProviderKey, e.Attempts[0].Detail ?? string.Empty, StringComparison.Ordinal);
        Assert.True(e.Redactions >= 4);
    }

    [Fact]
    public async Task EmailsPhonesAndCards_RedactedByDefault_InRequestAndAnswer()
    {
        var e = await LogOneAsync("Mail jane.doe+orders@example.co.uk or call +1 (415) 555-2671 or 030 1234 5678; card 4111 1111 1111 1111, order 4111111111111112, on 2026-12-04 at 10.0.0.12.");

        foreach (var text in new[] { e.Request[0].Text!, e.Response!.Text! })
        {
            Assert.DoesNotContain("jane.doe", text, StringComparison.Ordinal);
            Assert.DoesNotContain("555-2671", text, StringComparison.Ordinal);
            Assert.DoesNotContain("1234 5678", text, StringComparison.Ordinal);
            Assert.DoesNotContain("4111 1111 1111 1111", text, StringComparison.Ordinal);
            Assert.Contains("[email]", text, StringComparison.Ordinal);
            Assert.Contains("[phone]", text, StringComparison.Ordinal);
            Assert.Contains("[card]", text, StringComparison.Ordinal);

            // Not a card (fails the Luhn check), not a phone (a date, an address).
            Assert.Contains("4111111111111112", text, StringComparison.Ordinal);
            Assert.Contains("2026-12-04", text, StringComparison.Ordinal);
            Assert.Contains("10.0.0.12", text, StringComparison.Ordinal);
        }

        Assert.Equal(8, e.Redactions);
    }

    [Fact]
    public async Task Switches_Off_LeaveThoseValues()
    {
        var e = await LogOneAsync("jane@example.com +44 20 7946 0958 4111-1111-1111-1111", o =>
        {
            o.RedactEmails = false;
            o.RedactPhones = false;
            o.RedactCards = false;
        });

        Assert.Equal("jane@example.com +44 20 7946 0958 4111-1111-1111-1111", e.Request[0].Text);
    }

    [Fact]
    public async Task RedactorProviderAndCustomRedactor_ArePluggedIn()
    {
        var e = await LogOneAsync("jane@example.com asked about Project Falcon", provider: new TagProvider(), custom: new WordRedactor("Falcon"));

        Assert.Equal("<hmac:email> asked about Project [codename]", e.Request[0].Text);
    }

    [Fact]
    public void Luhn_KnownNumbers()
    {
        Assert.True(EventTextRedactor.PassesLuhn("4111 1111 1111 1111"));
        Assert.True(EventTextRedactor.PassesLuhn("5555-5555-5555-4444"));
        Assert.True(EventTextRedactor.PassesLuhn("378282246310005"));
        Assert.False(EventTextRedactor.PassesLuhn("4111111111111112"));
        Assert.False(EventTextRedactor.PassesLuhn("12345"));
    }

    private sealed class TagProvider : IRedactorProvider
    {
        public Redactor GetRedactor(DataClassificationSet classifications) =>
            new MaskRedactor(classifications.Equals(new DataClassificationSet(FallbackEventData.Email)) ? "<hmac:email>" : "<other>");
    }

    private sealed class WordRedactor(string word) : IFallbackEventRedactor
    {
        public string Redact(string text, out int redactions)
        {
            redactions = text.Contains(word, StringComparison.Ordinal) ? 1 : 0;
            return text.Replace(word, "[codename]", StringComparison.Ordinal);
        }
    }
}
