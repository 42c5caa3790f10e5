using System.ComponentModel;
using System.Globalization;
using Microsoft.Extensions.AI;
using Microsoft.ML.Tokenizers;
using SkFallback.Cost;

namespace SkFallback.Tests.Cost;

/// <summary>
/// The estimator on a varied set of requests (English prose, source code, CJK, JSON, long tool schemas, multi-turn with
/// names) against a reference computed here by OpenAI's published method, independently of the estimator: the model's
/// encoding from <see cref="TiktokenTokenizer.CreateForModel(string, IReadOnlyDictionary{string, int}?, Normalizer?)"/>,
/// the per-message formula of <c>num_tokens_from_messages</c> over plain role/name/content strings, and
/// <c>num_tokens_for_tools</c> over tool definitions written out by hand as the JSON the API receives. The estimator
/// sees only the MEAI request (messages, and tools whose schemas <see cref="AIFunctionFactory"/> generates from C#).
/// </summary>
public class EstimatorAccuracyTests
{
    private const double Tolerance = 0.02;

    public enum CabinClass
    {
        economy,
        premium_economy,
        business,
        first,
    }

    public enum SortOrder
    {
        price,
        duration,
        departure_time,
    }

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var model in new[] { "gpt-3.5-turbo-0125", "gpt-4-0613", "gpt-4o-2024-08-06", "gpt-4o-mini-2024-07-18" })
        {
            foreach (var name in Samples.Keys)
            {
                data.Add(model, name);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void EstimatePromptTokens_VariedRequests_WithinTwoPercentOfPublishedMethod(string model, string sample)
    {
        var (messages, tools) = Samples[sample];
        var reference = Reference(model, messages, tools);
        var options = tools.Length == 0 ? null : new ChatOptions { Tools = [.. Tools.Where(t => tools.Any(s => s.Name == t.Name))] };

        var estimate = new TokenEstimator().EstimatePromptTokens(model, [.. messages.Select(ToChatMessage)], options);

        var error = Math.Abs(estimate - reference) / (double)reference;
        TestContext.Current.SendDiagnosticMessage(string.Create(CultureInfo.InvariantCulture, $"{model} {sample}: estimate {estimate}, reference {reference}, error {error:P2}"));
        Assert.True(error <= Tolerance, $"{model} {sample}: estimate {estimate}, reference {reference}, error {error:P2}");
        Assert.True(reference > 50, "the sample is too small to say anything about 2%");
    }

    [Fact]
    public void Reference_WrongEncoding_WouldBeOutsideTolerance()
    {
        // The set can tell encodings apart: counting the CJK and code samples with the other encoding misses by far more than 2%.
        foreach (var sample in new[] { "cjk", "code" })
        {
            var (messages, _) = Samples[sample];
            var right = Reference("gpt-4o-2024-08-06", messages, []);
            var wrong = Reference("gpt-4-0613", messages, []);
            Assert.True(Math.Abs(right - wrong) / (double)right > Tolerance, $"{sample}: {right} vs {wrong}");
        }
    }

    internal sealed record Message(string Role, string Content, string? Name = null);

    internal sealed record Parameter(string Name, string Type, string Description, string[]? Enum = null);

    internal sealed record ToolDefinition(string Name, string Description, Parameter[] Parameters);

    // num_tokens_from_messages + num_tokens_for_tools, as published, over plain strings.
    internal static int Reference(string model, IReadOnlyList<Message> messages, IReadOnlyList<ToolDefinition> tools)
    {
        var encoding = TiktokenTokenizer.CreateForModel(model);
        int Tokens(string text) => encoding.EncodeToIds(text).Count;

        var total = 0;
        foreach (var message in messages)
        {
            total += 3 + Tokens(message.Role) + Tokens(message.Content);
            if (message.Name is not null)
            {
                total += 1 + Tokens(message.Name);
            }
        }

        total += 3;
        if (tools.Count == 0)
        {
            return total;
        }

        var functionInit = model.StartsWith("gpt-4o", StringComparison.Ordinal) ? 7 : 10;
        foreach (var tool in tools)
        {
            total += functionInit + Tokens(tool.Name + ":" + TrimPeriod(tool.Description));
            if (tool.Parameters.Length > 0)
            {
                total += 3;
                foreach (var parameter in tool.Parameters)
                {
                    total += 3;
                    if (parameter.Enum is not null)
                    {
                        total += -3 + parameter.Enum.Sum(item => 3 + Tokens(item));
                    }

                    total += Tokens($"{parameter.Name}:{parameter.Type}:{TrimPeriod(parameter.Description)}");
                }
            }
        }

        return total + 12;

        static string TrimPeriod(string text) => text.EndsWith('.') ? text[..^1] : text;
    }

    private static ChatMessage ToChatMessage(Message message) =>
        new(new ChatRole(message.Role), message.Content) { AuthorName = message.Name };

    // The tools as an app declares them; the estimator reads the schemas AIFunctionFactory generates.
    private static readonly AIFunction[] Tools =
    [
        AIFunctionFactory.Create(
            ([Description("IATA code of the departure airport, for example LHR or JFK.")] string origin,
             [Description("IATA code of the arrival airport.")] string destination,
             [Description("Departure date in ISO 8601 format (YYYY-MM-DD).")] string departureDate,
             [Description("Return date in ISO 8601 format, or empty for a one-way trip.")] string returnDate,
             [Description("Number of adult passengers, between 1 and 9.")] int adults,
             [Description("Cabin class to search in.")] CabinClass cabin,
             [Description("Maximum number of stops; 0 means direct flights only.")] int maxStops,
             [Description("Only show fares that allow free changes.")] bool flexibleOnly,
             [Description("How to order the results.")] SortOrder sortBy) => "[]",
            "search_flights",
            "Search scheduled flights between two airports and return the cheapest fares for each itinerary, with baggage rules and change fees."),
        AIFunctionFactory.Create(
            ([Description("The hotel's identifier as returned by search_hotels.")] string hotelId,
             [Description("Check-in date, YYYY-MM-DD.")] string checkIn,
             [Description("Check-out date, YYYY-MM-DD; must be after check-in.")] string checkOut,
             [Description("Number of rooms to reserve.")] int rooms,
             [Description("Name of the main guest exactly as on their passport.")] string guestName,
             [Description("Maximum nightly rate the traveller accepts, in euros.")] double maxRate) => "ok",
            "book_hotel",
            "Reserve rooms in a hotel for the given dates. The booking is held for 15 minutes and must be confirmed with confirm_booking."),
        AIFunctionFactory.Create(
            ([Description("A read-only SQL SELECT statement against the reporting database (PostgreSQL 16 dialect).")] string query,
             [Description("Maximum number of rows to return.")] int limit) => "[]",
            "run_sql",
            "Run a read-only query on the analytics warehouse. Tables: orders(id, customer_id, total, created_at), customers(id, name, country), refunds(order_id, amount, reason)."),
    ];

    // The same tools written out as the JSON an OpenAI request carries, for the reference.
    private static readonly ToolDefinition[] ToolDefinitions =
    [
        new("search_flights", "Search scheduled flights between two airports and return the cheapest fares for each itinerary, with baggage rules and change fees.",
        [
            new("origin", "string", "IATA code of the departure airport, for example LHR or JFK."),
            new("destination", "string", "IATA code of the arrival airport."),
            new("departureDate", "string", "Departure date in ISO 8601 format (YYYY-MM-DD)."),
            new("returnDate", "string", "Return date in ISO 8601 format, or empty for a one-way trip."),
            new("adults", "integer", "Number of adult passengers, between 1 and 9."),
            new("cabin", "string", "Cabin class to search in.", ["economy", "premium_economy", "business", "first"]),
            new("maxStops", "integer", "Maximum number of stops; 0 means direct flights only."),
            new("flexibleOnly", "boolean", "Only show fares that allow free changes."),
            new("sortBy", "string", "How to order the results.", ["price", "duration", "departure_time"]),
        ]),
        new("book_hotel", "Reserve rooms in a hotel for the given dates. The booking is held for 15 minutes and must be confirmed with confirm_booking.",
        [
            new("hotelId", "string", "The hotel's identifier as returned by search_hotels."),
            new("checkIn", "string", "Check-in date, YYYY-MM-DD."),
            new("checkOut", "string", "Check-out date, YYYY-MM-DD; must be after check-in."),
            new("rooms", "integer", "Number of rooms to reserve."),
            new("guestName", "string", "Name of the main guest exactly as on their passport."),
            new("maxRate", "number", "Maximum nightly rate the traveller accepts, in euros."),
        ]),
        new("run_sql", "Run a read-only query on the analytics warehouse. Tables: orders(id, customer_id, total, created_at), customers(id, name, country), refunds(order_id, amount, reason).",
        [
            new("query", "string", "A read-only SQL SELECT statement against the reporting database (PostgreSQL 16 dialect)."),
            new("limit", "integer", "Maximum number of rows to return."),
        ]),
    ];

    private static readonly Dictionary<string, (Message[] Messages, ToolDefinition[] Tools)> Samples = new()
    {
        ["english"] = (
        [
            new("system", "You are a concise assistant for a logistics company. Answer in plain English and cite the policy section when you rely on one."),
            new("user", """
                Our warehouse in Rotterdam received a pallet that was damaged in transit. The carrier's driver signed the delivery note
                without any remarks, but our receiving clerk photographed the crushed corner of the pallet within ten minutes of
                unloading. The goods inside were ceramic tiles, and roughly a third of them are cracked. The customer has already
                asked for a replacement shipment and wants to know who pays for it. Could you explain, step by step, how we should
                document the claim, which deadlines apply under the CMR convention for visible and hidden damage, and whether the
                missing remark on the delivery note weakens our position? Please also suggest what we should change in our receiving
                procedure so that this does not happen again, keeping in mind that the night shift has only two people on duty.
                """),
        ], []),
        ["code"] = (
        [
            new("system", "You review C# code for correctness and performance."),
            new("user", """
                Why does this sometimes deadlock under ASP.NET Core, and how would you fix it?

                ```csharp
                public sealed class PriceCache(HttpClient http, ILogger<PriceCache> logger)
                {
                    private readonly Dictionary<string, decimal> _prices = new();
                    private readonly object _gate = new();

                    public decimal Get(string sku)
                    {
                        lock (_gate)
                        {
                            if (_prices.TryGetValue(sku, out var price)) return price;
                            var json = http.GetStringAsync($"/prices/{Uri.EscapeDataString(sku)}").Result;
                            price = JsonSerializer.Deserialize<PriceDto>(json)!.Amount;
                            _prices[sku] = price;
                            logger.LogInformation("Cached {Sku} at {Price:0.00}", sku, price);
                            return price;
                        }
                    }
                }

                def fib(n: int) -> int:
                    a, b = 0, 1
                    for _ in range(n):
                        a, b = b, a + b
                    return a
                ```
                """),
        ], []),
        ["cjk"] = (
        [
            new("system", "あなたは丁寧な日本語で答えるアシスタントです。"),
            new("user", "東京から大阪まで新幹線で行く場合、のぞみとひかりの違いは何ですか？料金と所要時間を比較して、家族四人で旅行するならどちらがおすすめか教えてください。"),
            new("assistant", "のぞみは停車駅が少なく、東京から新大阪まで約二時間半です。ひかりは約三時間かかりますが、ジャパン・レール・パスで乗れます。"),
            new("user", "请用中文总结一下上面的回答，并补充一下春节期间订票需要注意的事项。另外，한국어로도 간단히 요약해 주세요."),
        ], []),
        ["json"] = (
        [
            new("system", "Extract the overdue invoices from the JSON the user sends and reply with their ids only."),
            new("user", """
                {"invoices":[{"id":"INV-2024-0113","customer":{"id":4412,"name":"Nordwind Handels GmbH","country":"DE"},"issued":"2024-09-02","due":"2024-10-02","lines":[{"sku":"PAL-EUR-1200","qty":40,"unit_price":12.5},{"sku":"STRAP-25","qty":200,"unit_price":0.35}],"paid":false},
                {"id":"INV-2024-0114","customer":{"id":5120,"name":"Brasserie du Port","country":"FR"},"issued":"2024-09-15","due":"2024-10-15","lines":[{"sku":"KEG-50L","qty":12,"unit_price":48.0}],"paid":true,"paid_on":"2024-10-11"},
                {"id":"INV-2024-0115","customer":{"id":7781,"name":"Tanaka Trading K.K.","country":"JP"},"issued":"2024-10-01","due":"2024-10-31","lines":[],"paid":false,"notes":null}],
                 "as_of":"2024-11-05","currency":"EUR"}
                """),
        ], []),
        ["tools"] = (
        [
            new("system", "You are a travel agent. Use the tools to search and book; never invent fares."),
            new("user", "Find me a direct business-class flight from LHR to JFK on 2025-03-14, back on 2025-03-21, and a hotel near Central Park for those nights under 400 euros."),
        ], ToolDefinitions),
        ["multi-turn"] = (
        [
            new("system", "You moderate a planning meeting between several participants. Keep track of who asked for what."),
            new("user", "Can we move the release to the second week of March?", "alice"),
            new("user", "Only if QA gets the build by the end of February, otherwise no.", "bob"),
            new("assistant", "Noted: Alice proposes the second week of March; Bob agrees on condition that QA receives the build by 28 February.", "moderator"),
            new("user", "I can deliver the build on the 26th if nobody adds scope.", "carol_dev"),
            new("user", "Then I'd like the payment retries fix in, it's small.", "alice"),
            new("assistant", "Carol can deliver on the 26th without new scope; Alice asks to include the payment-retries fix. Carol, does that fit?", "moderator"),
            new("user", "It fits if it's only the retry backoff, not the new provider.", "carol_dev"),
        ], []),
        ["mixed"] = (
        [
            new("user", "Ping https://status.example.com/api/v2/summary.json every 30s 🚦; if p95 > 250ms for 3 checks → page #ops-oncall (cc @dana). Budget: €1,250.00/mo ≈ $1,360. Ünïcödé façade naïve résumé — ok?"),
            new("assistant", "Yes. 30 s × 3 = 90 s to alert; at 2,880 checks/day that's ~86,400/month, well within €1,250."),
            new("user", "And for the 99.95% SLO, what's the monthly error budget in minutes?"),
        ], []),
    };
}
