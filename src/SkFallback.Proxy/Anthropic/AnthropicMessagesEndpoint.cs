using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using SkFallback.Proxy.Wire;

namespace SkFallback.Proxy.Anthropic;

/// <summary>
/// <c>POST /v1/messages</c>: the Anthropic wire over the same chains (any provider, either wire). A whole answer is one
/// <c>message</c>; a stream is <c>message_start</c>, content blocks (<c>text_delta</c>, <c>input_json_delta</c>),
/// <c>message_delta</c> (stop reason, usage, and the <c>skfallback</c> object) and <c>message_stop</c>. As on the OpenAI
/// wire, headers wait for the chain's first update, and a continued stream stays one stream.
/// </summary>
internal sealed class AnthropicMessagesEndpoint(ChatGateway gateway)
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Handles one request.</summary>
    /// <param name="context">The request.</param>
    /// <returns>A task that completes when the response is written.</returns>
    public Task HandleAsync(HttpContext context) =>
        gateway.HandleAsync(context, ClientWire.Anthropic, AnthropicRequestReader.Read, CompleteAsync, StreamAsync);

    private static string NewId() => ResponseIds.New("msg_skf");

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
        catch (Exception exception)
        {
            await WireErrors.WriteAsync(context, ClientWire.Anthropic, gateway.Fail(call, exception)).ConfigureAwait(false);
            return;
        }

        var metadata = new AnswerMetadata();
        metadata.Absorb(response.AdditionalProperties);
        gateway.Settle(call, response.Usage, metadata);
        using var buffer = new PooledBufferWriter(2048);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            WriteMessage(writer, response, metadata, call);
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

    private static void FlushText(Utf8JsonWriter writer, System.Text.StringBuilder text)
    {
        if (text.Length == 0)
        {
            return;
        }

        writer.WriteStartObject();
        writer.WriteString("type", "text");
        writer.WriteString("text", text.ToString());
        writer.WriteEndObject();
        text.Clear();
    }

    private static void WriteToolUse(Utf8JsonWriter writer, FunctionCallContent call, bool withInput)
    {
        writer.WriteStartObject();
        writer.WriteString("type", "tool_use");
        writer.WriteString("id", call.CallId);
        writer.WriteString("name", call.Name);
        writer.WritePropertyName("input");
        if (withInput)
        {
            ToolArguments.Write(writer, call.Arguments);
        }
        else
        {
            writer.WriteStartObject();
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    private void WriteMessage(Utf8JsonWriter writer, ChatResponse response, AnswerMetadata metadata, PreparedCall call)
    {
        var calledTools = false;
        writer.WriteStartObject();
        writer.WriteString("id", NewId());
        writer.WriteString("type", "message");
        writer.WriteString("role", "assistant");
        writer.WriteString("model", metadata.Model ?? response.ModelId ?? call.Request.Model);
        writer.WriteStartArray("content");
        var text = new System.Text.StringBuilder();
        foreach (var message in response.Messages)
        {
            foreach (var content in message.Contents)
            {
                if (content is TextContent t)
                {
                    text.Append(t.Text);
                }
                else if (content is FunctionCallContent f)
                {
                    FlushText(writer, text);
                    calledTools = true;
                    WriteToolUse(writer, f, withInput: true);
                }
            }
        }

        FlushText(writer, text);
        writer.WriteEndArray();
        writer.WriteString("stop_reason", AnthropicWire.StopReason(response.FinishReason, calledTools, null));
        writer.WriteNull("stop_sequence");
        writer.WriteStartObject("usage");
        writer.WriteNumber("input_tokens", response.Usage?.InputTokenCount ?? 0);
        writer.WriteNumber("output_tokens", response.Usage?.OutputTokenCount ?? 0);
        writer.WriteEndObject();
        metadata.WriteJson(writer, gateway.Elapsed(call));
        writer.WriteEndObject();
    }

    private async Task StreamAsync(HttpContext context, PreparedCall call)
    {
        var aborted = context.RequestAborted;
        var updates = call.Model.Client.GetStreamingResponseAsync(call.Request.Messages, call.Request.Options, aborted).GetAsyncEnumerator(aborted);
        try
        {
            bool any;
            try
            {
                any = await updates.MoveNextAsync().ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (aborted.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                await WireErrors.WriteAsync(context, ClientWire.Anthropic, gateway.Fail(call, exception)).ConfigureAwait(false);
                return;
            }

            var metadata = new AnswerMetadata();
            if (any)
            {
                metadata.Absorb(updates.Current.AdditionalProperties);
            }

            var http = context.Response;
            SseRelay.Start(http, gateway, call, metadata);
            // Headers and message_start wait in the response buffer for the first content event (already here): one write.
            using var sse = new SseWriter(http.BodyWriter) { Coalesce = true };
            var stream = new EventStream(sse);
            try
            {
                await stream.StartAsync(NewId(), metadata.Model ?? call.Request.Model, aborted).ConfigureAwait(false);
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
                // Output has started: the wire's error event ends the stream (the Anthropic SDKs raise it).
                var writer = sse.Begin();
                AnthropicWire.WriteError(writer, gateway.Fail(call, exception));
                await sse.SendAsync("error", CancellationToken.None).ConfigureAwait(false);
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

    /// <summary>The events of one streamed message.</summary>
    private sealed class EventStream(SseWriter sse) : IUpdateWriter
    {
        private int _index = -1;
        private bool _textOpen;
        private bool _calledTools;
        private ChatFinishReason? _finish;
        private UsageDetails? _usage;

        public UsageDetails? Usage => _usage;

        public async Task StartAsync(string id, string model, CancellationToken cancellationToken)
        {
            var w = sse.Begin();
            w.WriteStartObject();
            w.WriteString("type", "message_start");
            w.WriteStartObject("message");
            w.WriteString("id", id);
            w.WriteString("type", "message");
            w.WriteString("role", "assistant");
            w.WriteString("model", model);
            w.WriteStartArray("content");
            w.WriteEndArray();
            w.WriteNull("stop_reason");
            w.WriteNull("stop_sequence");
            w.WriteStartObject("usage");
            w.WriteNumber("input_tokens", 0);
            w.WriteNumber("output_tokens", 0);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
            await sse.SendAsync("message_start", cancellationToken).ConfigureAwait(false);
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
                        if (!_textOpen)
                        {
                            _textOpen = true;
                            var start = BeginEvent("content_block_start", ++_index);
                            start.WriteStartObject("content_block");
                            start.WriteString("type", "text");
                            start.WriteString("text", string.Empty);
                            start.WriteEndObject();
                            await SendAsync(start, "content_block_start", cancellationToken).ConfigureAwait(false);
                        }

                        var delta = BeginEvent("content_block_delta", _index);
                        delta.WriteStartObject("delta");
                        delta.WriteString("type", "text_delta");
                        delta.WriteString("text", text.Text);
                        delta.WriteEndObject();
                        await SendAsync(delta, "content_block_delta", cancellationToken).ConfigureAwait(false);
                        break;
                    case FunctionCallContent call:
                        await CloseBlockAsync(cancellationToken).ConfigureAwait(false);
                        _calledTools = true;
                        var open = BeginEvent("content_block_start", ++_index);
                        open.WritePropertyName("content_block");
                        WriteToolUse(open, call, withInput: false);
                        await SendAsync(open, "content_block_start", cancellationToken).ConfigureAwait(false);
                        var json = BeginEvent("content_block_delta", _index);
                        json.WriteStartObject("delta");
                        json.WriteString("type", "input_json_delta");
                        json.WriteString("partial_json", ToolArguments.ToJson(call.Arguments));
                        json.WriteEndObject();
                        await SendAsync(json, "content_block_delta", cancellationToken).ConfigureAwait(false);
                        var stop = BeginEvent("content_block_stop", _index);
                        await SendAsync(stop, "content_block_stop", cancellationToken).ConfigureAwait(false);
                        break;
                    case UsageContent usage:
                        (_usage ??= new UsageDetails()).Add(usage.Details);
                        break;
                }
            }
        }

        public async Task FinishAsync(AnswerMetadata metadata, TimeSpan elapsed, CancellationToken cancellationToken)
        {
            await CloseBlockAsync(cancellationToken).ConfigureAwait(false);
            var w = sse.Begin();
            w.WriteStartObject();
            w.WriteString("type", "message_delta");
            w.WriteStartObject("delta");
            w.WriteString("stop_reason", AnthropicWire.StopReason(_finish, _calledTools, null));
            w.WriteNull("stop_sequence");
            w.WriteEndObject();
            w.WriteStartObject("usage");
            w.WriteNumber("input_tokens", _usage?.InputTokenCount ?? 0);
            w.WriteNumber("output_tokens", _usage?.OutputTokenCount ?? 0);
            w.WriteEndObject();
            metadata.WriteJson(w, elapsed);
            w.WriteEndObject();
            await sse.SendAsync("message_delta", cancellationToken).ConfigureAwait(false);
            w = sse.Begin();
            w.WriteStartObject();
            w.WriteString("type", "message_stop");
            w.WriteEndObject();
            await sse.SendAsync("message_stop", cancellationToken).ConfigureAwait(false);
            await sse.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        private async Task CloseBlockAsync(CancellationToken cancellationToken)
        {
            if (_textOpen)
            {
                _textOpen = false;
                await SendAsync(BeginEvent("content_block_stop", _index), "content_block_stop", cancellationToken).ConfigureAwait(false);
            }
        }

        private Utf8JsonWriter BeginEvent(string type, int index)
        {
            var w = sse.Begin();
            w.WriteStartObject();
            w.WriteString("type", type);
            w.WriteNumber("index", index);
            return w;
        }

        private async Task SendAsync(Utf8JsonWriter writer, string name, CancellationToken cancellationToken)
        {
            writer.WriteEndObject();
            await sse.SendAsync(name, cancellationToken).ConfigureAwait(false);
        }
    }
}
