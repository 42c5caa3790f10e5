using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using SkFallback.Engine;

namespace SkFallback.Streaming;

/// <summary>
/// The streamed call's iterator: a shell over <see cref="StreamSession"/> that only yields. Each attempt's held
/// updates go out at commit, then every update passes straight through; the trailer closes a good answer.
/// </summary>
internal sealed class StreamRunner(Chain chain)
{
    public async IAsyncEnumerable<ChatResponseUpdate> RunAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        cancellationToken.ThrowIfCancellationRequested();

        using var activity = chain.Telemetry.StartActivity(streaming: true);
        var session = StreamSession.Start(chain, messages, options, activity, cancellationToken);
        try
        {
            await session.RaceAsync().ConfigureAwait(false);
            while (await session.NextAttemptAsync().ConfigureAwait(false))
            {
                session.ObserveExchange();
                if (session.CommitHeld())
                {
                    for (var i = 0; i < session.HeldCount; i++)
                    {
                        yield return session.Held(i);
                    }

                    session.ClearHeld();
                }

                // The hot path: after commit, updates pass straight through.
                while (await session.ReadAsync().ConfigureAwait(false))
                {
                    if (session.TakeSeamRest() is { } rest)
                    {
                        yield return rest;
                    }

                    yield return session.Update!;
                }

                if (session.CommitShortAnswer())
                {
                    for (var i = 0; i < session.HeldCount; i++)
                    {
                        yield return session.Held(i);
                    }

                    session.ClearHeld();
                }

                if (session.TrySucceed(out var trailer))
                {
                    yield return trailer;
                    yield break;
                }

                await session.EndAttemptAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            await session.DisposeAsync().ConfigureAwait(false);
        }
    }
}
