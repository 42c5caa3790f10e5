using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using SkFallback.Proxy.Wire;

namespace SkFallback.Proxy.OpenAI;

/// <summary>
/// <c>POST /v1/chat/completions</c>: the request goes down its chain; a whole answer is one <c>chat.completion</c>, a
/// stream is <c>chat.completion.chunk</c> events ending in <c>data: [DONE]</c>. A stream waits for the chain's first
/// update before sending headers, so a chain that fails before any output answers with a proper HTTP error; after
/// that, a stream the chain continued on another provider is still one stream, and its last chunk carries the
/// <c>skfallback</c> object (provider, attempts, continuation, cost, overhead).
/// </summary>
internal sealed class OpenAIChatEndpoint(ChatGateway gateway)
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Handles one request.</summary>
    /// <param name="context">The request.</param>
    /// <returns>A task that completes when the response is written.</returns>
    public Task HandleAsync(HttpContext context) =>
        gateway.HandleAsync(context, ClientWire.OpenAI, OpenAIRequestReader.Read, CompleteAsync, StreamAsync);

    private static string NewId() => ResponseIds.New("chatcmpl-skf");

    private async Task CompleteAsync(HttpContext context, PreparedCall call)
    {
        var aborted = context.RequestAborted;
        ChatResponse response;
        try
        {
            response = await call.Model.Client.GetResponseAsync(call.Request.Messages, call.Request.Options, aborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            return;
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !aborted.IsCancellationRequested)
        {
            await WireErrors.WriteAsync(context, ClientWire.OpenAI, gateway.Fail(call, exception)).ConfigureAwait(false);
            return;
        }

        var metadata = new AnswerMetadata();
        metadata.Absorb(response.AdditionalProperties);
        gateway.Settle(call, response.Usage, metadata);

        using var buffer = new PooledBufferWriter(2048);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            WriteCompletion(writer, response, metadata, gateway.Elapsed(call), call.Request.Model);
        }

        var http = context.Response;
        http.StatusCode = 200;
        http.ContentType = "application/json";
        gateway.WriteRateHeaders(http, call);
        metadata.WriteHeaders(http, gateway.Elapsed(call));

        // A known length spares the chunked framing (and lets Kestrel send headers and body in one write).
        http.ContentLength = buffer.WrittenCount;
        await http.Body.WriteAsync(buffer.WrittenMemory, aborted).ConfigureAwait(false);
    }

    private static void WriteCompletion(Utf8JsonWriter writer, ChatResponse response, AnswerMetadata metadata, TimeSpan elapsed, string requestedModel)
    {
        var (text, calls) = Split(response);
        writer.WriteStartObject();
        writer.WriteString("id", NewId());
        writer.WriteString("object", "chat.completion");
        writer.WriteNumber("created", (response.CreatedAt ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds());
        writer.WriteString("model", metadata.Model ?? response.ModelId ?? requestedModel);
        writer.WriteStartArray("choices");
        writer.WriteStartObject();
        writer.WriteNumber("index", 0);
        writer.WriteStartObject("message");
        writer.WriteString("role", "assistant");
        if (text.Length > 0 || calls.Count == 0)
        {
            writer.WriteString("content", text.ToString());
        }
        else
        {
            writer.WriteNull("content");
        }

        writer.WriteNull("refusal");
        WriteToolCalls(writer, calls);
        writer.WriteEndObject();
        writer.WriteNull("logprobs");
        writer.WriteString("finish_reason", OpenAIWire.FinishReason(response.FinishReason, calls.Count > 0));
        writer.WriteEndObject();
        writer.WriteEndArray();
        OpenAIWire.WriteUsage(writer, response.Usage);
        writer.WriteNull("system_fingerprint");
        metadata.WriteJson(writer, elapsed);
        writer.WriteEndObject();
    }

    /// <summary>The answer's text, and its tool calls in order.</summary>
    private static (System.Text.StringBuilder Text, List<FunctionCallContent> Calls) Split(ChatResponse response)
    {
        var text = new System.Text.StringBuilder();
        var calls = new List<FunctionCallContent>();
        foreach (var message in response.Messages)
        {
            foreach (var content in message.Contents)
            {
                switch (content)
                {
                    case TextContent t:
                        text.Append(t.Text);
                        break;
                    case FunctionCallContent f:
                        calls.Add(f);
                        break;
                }
            }
        }

        return (text, calls);
    }

    private static void WriteToolCalls(Utf8JsonWriter writer, List<FunctionCallContent> calls)
    {
        if (calls.Count == 0)
        {
            return;
        }

        writer.WriteStartArray("tool_calls");
        foreach (var toolCall in calls)
        {
            OpenAIWire.WriteToolCall(writer, toolCall, index: null);
        }

        writer.WriteEndArray();
    }

    private async Task StreamAsync(HttpContext context, PreparedCall call)
    {
        var aborted = context.RequestAborted;
        var updates = call.Model.Client.GetStreamingResponseAsync(call.Request.Messages, call.Request.Options, aborted).GetAsyncEnumerator(aborted);
        try
        {
            if (await FirstUpdateAsync(context, call, updates).ConfigureAwait(false) is not { } any)
            {
                return;
            }

            var metadata = new AnswerMetadata();
            if (any)
            {
                metadata.Absorb(updates.Current.AdditionalProperties);
            }

            var http = context.Response;
            SseRelay.Start(http, gateway, call, metadata);

            // Headers and the role chunk wait in the response buffer for the first content chunk (already here): one write.
            using var sse = new SseWriter(http.BodyWriter) { Coalesce = true };
            var stream = new ChunkStream(sse, NewId(), DateTimeOffset.UtcNow.ToUnixTimeSeconds(), metadata.Model ?? call.Request.Model, call.Request.IncludeUsage);
            try
            {
                await stream.StartAsync(aborted).ConfigureAwait(false);
                if (any)
                {
                    await SseRelay.RelayAsync(updates, sse, stream, metadata, aborted).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (aborted.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                // Output has started: the only way left to say so is an error event (the OpenAI SDKs raise it), and no [DONE].
                var writer = sse.Begin();
                OpenAIWire.WriteError(writer, gateway.Fail(call, exception));
                await sse.SendAsync(null, CancellationToken.None).ConfigureAwait(false);
                await sse.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                return;
            }

            gateway.Settle(call, stream.Usage, metadata);
            await stream.FinishAsync(metadata, gateway.Elapsed(call), aborted).ConfigureAwait(false);
        }
        finally
        {
            await updates.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Waits for the chain's first update; <see langword="null"/> when the client left or the chain failed (its error already written).</summary>
    private async Task<bool?> FirstUpdateAsync(HttpContext context, PreparedCall call, IAsyncEnumerator<ChatResponseUpdate> updates)
    {
        try
        {
            return await updates.MoveNextAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return null;
        }
        catch (Exception exception)
        {
            await WireErrors.WriteAsync(context, ClientWire.OpenAI, gateway.Fail(call, exception)).ConfigureAwait(false);
            return null;
        }
    }

    /// <summary>The chunks of one streamed answer.</summary>
    private sealed class ChunkStream(SseWriter sse, string id, long created, string model, bool includeUsage) : IUpdateWriter
    {
        private int _toolCalls;
        private ChatFinishReason? _finish;
        private UsageDetails? _usage;

        public UsageDetails? Usage => _usage;

        public async Task StartAsync(CancellationToken cancellationToken)
        {
            var writer = Envelope();
            writer.WriteStartObject("delta");
            writer.WriteString("role", "assistant");
            writer.WriteString("content", string.Empty);
            writer.WriteNull("refusal");
            writer.WriteEndObject();
            await CloseAsync(writer, null, cancellationToken).ConfigureAwait(false);
        }

        public async Task WriteAsync(ChatResponseUpdate update, CancellationToken cancellationToken)
        {
            if (update.FinishReason is { } finish)
            {
                _finish = finish;
            }

            foreach (var content in update.Contents)
            {
                switch (content)
                {
                    case TextContent text when text.Text.Length > 0:
                        var writer = Envelope();
                        writer.WriteStartObject("delta");
                        writer.WriteString("content", text.Text);
                        writer.WriteEndObject();
                        await CloseAsync(writer, null, cancellationToken).ConfigureAwait(false);
                        break;
                    case FunctionCallContent call:
                        writer = Envelope();
                        writer.WriteStartObject("delta");
                        writer.WriteStartArray("tool_calls");
                        OpenAIWire.WriteToolCall(writer, call, _toolCalls++);
                        writer.WriteEndArray();
                        writer.WriteEndObject();
                        await CloseAsync(writer, null, cancellationToken).ConfigureAwait(false);
                        break;
                    case UsageContent usage:
                        if (_usage is null)
                        {
                            _usage = new UsageDetails();
                        }

                        _usage.Add(usage.Details);
                        break;
                }
            }
        }

        public async Task FinishAsync(AnswerMetadata metadata, TimeSpan elapsed, CancellationToken cancellationToken)
        {
            var writer = Envelope();
            writer.WriteStartObject("delta");
            writer.WriteEndObject();
            writer.WriteNull("logprobs");
            writer.WriteString("finish_reason", OpenAIWire.FinishReason(_finish, _toolCalls > 0));
            writer.WriteEndObject();
            writer.WriteEndArray();
            if (includeUsage)
            {
                writer.WriteNull("usage");
                writer.WriteEndObject();
                await sse.SendAsync(null, cancellationToken).ConfigureAwait(false);

                writer = sse.Begin();
                WriteHead(writer);
                writer.WriteStartArray("choices");
                writer.WriteEndArray();
                OpenAIWire.WriteUsage(writer, _usage ?? new UsageDetails { InputTokenCount = 0, OutputTokenCount = 0 });
            }

            metadata.WriteJson(writer, elapsed);
            writer.WriteEndObject();
            await sse.SendAsync(null, cancellationToken).ConfigureAwait(false);
            await sse.SendDoneAsync(cancellationToken).ConfigureAwait(false);
        }

        private Utf8JsonWriter Envelope()
        {
            var writer = sse.Begin();
            WriteHead(writer);
            writer.WriteStartArray("choices");
            writer.WriteStartObject();
            writer.WriteNumber("index", 0);
            return writer;
        }

        private void WriteHead(Utf8JsonWriter writer)
        {
            writer.WriteStartObject();
            writer.WriteString("id", id);
            writer.WriteString("object", "chat.completion.chunk");
            writer.WriteNumber("created", created);
            writer.WriteString("model", model);
            writer.WriteNull("system_fingerprint");
        }

        private async Task CloseAsync(Utf8JsonWriter writer, string? finishReason, CancellationToken cancellationToken)
        {
            writer.WriteNull("logprobs");
            writer.WriteString("finish_reason", finishReason);
            writer.WriteEndObject();
            writer.WriteEndArray();
            if (includeUsage)
            {
                writer.WriteNull("usage");
            }

            writer.WriteEndObject();
            await sse.SendAsync(null, cancellationToken).ConfigureAwait(false);
        }
    }
}
