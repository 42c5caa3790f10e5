using System.ClientModel;
using System.ClientModel.Primitives;
using Anthropic;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;

namespace SkFallback.Simulator.Tests;

/// <summary>The real SDK clients pointed at a simulator, with their own retries off.</summary>
internal static class SimulatorClients
{
    public static ChatClient OpenAI(ProviderSimulator simulator, string model, string apiKey = "k", HttpClient? http = null) =>
        new(model, new ApiKeyCredential(apiKey), new OpenAIClientOptions
        {
            Endpoint = simulator.OpenAIEndpoint,
            RetryPolicy = new ClientRetryPolicy(0),
            Transport = http is null ? null : new HttpClientPipelineTransport(http),
        });

    public static AnthropicClient Anthropic(ProviderSimulator simulator, string apiKey = "k", HttpClient? http = null) => http is null
        ? new() { ApiKey = apiKey, BaseUrl = simulator.AnthropicEndpoint.ToString(), MaxRetries = 0 }
        : new() { ApiKey = apiKey, BaseUrl = simulator.AnthropicEndpoint.ToString(), MaxRetries = 0, HttpClient = http };

    public static IChatClient Chat(ProviderSimulator simulator, WireFormat wire, string model, HttpClient? http = null) => wire switch
    {
        WireFormat.OpenAI => OpenAI(simulator, model, http: http).AsIChatClient(),
        _ => Anthropic(simulator, http: http).AsIChatClient(model, 1024),
    };

    /// <summary>
    /// An HttpClient that closes the connection when a response is abandoned: by default HttpClient drains the rest
    /// of an abandoned response (up to 1 MB) to reuse the connection, so the server keeps generating.
    /// </summary>
    public static HttpClient ClosingHttpClient() => new(new SocketsHttpHandler { MaxResponseDrainSize = 0 });

    public static HttpClient Http(ProviderSimulator simulator) => new() { BaseAddress = simulator.BaseUri };

    /// <summary>Whether an exception or one of its inner exceptions is an <see cref="IOException"/>.</summary>
    public static bool HasIOException(Exception? exception)
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is IOException)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Reports what an SDK surfaced; also appended to the file named by SIM_OBSERVE_FILE when set.</summary>
    public static void Observe(string message)
    {
        TestContext.Current.SendDiagnosticMessage(message);
        if (Environment.GetEnvironmentVariable("SIM_OBSERVE_FILE") is { Length: > 0 } file)
        {
            lock (ObserveGate)
            {
                File.AppendAllText(file, message + Environment.NewLine);
            }
        }
    }

    private static readonly Lock ObserveGate = new();

    public static string Chain(Exception? exception)
    {
        var names = new List<string>();
        for (; exception is not null; exception = exception.InnerException)
        {
            names.Add(exception.GetType().Name);
        }

        return string.Join(" <- ", names);
    }
}
