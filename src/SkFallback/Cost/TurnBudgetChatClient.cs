using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace SkFallback.Cost;

/// <summary>
/// Gives every agent turn its own <see cref="TurnBudget"/>: placed above function invocation, it sees one call per
/// turn and hands the budget down through <see cref="FallbackMetadataKeys.TurnBudget"/>, so every model round trip of
/// the tool loop draws from it. The limit is the request's <see cref="FallbackMetadataKeys.MaxTurnCostUsd"/>, else
/// the one given here, else the chain's <see cref="BudgetOptions.MaxCostPerTurn"/>.
/// </summary>
public sealed class TurnBudgetChatClient : DelegatingChatClient
{
    private readonly decimal? _limitUsd;

    /// <summary>Initializes a new instance of the <see cref="TurnBudgetChatClient"/> class.</summary>
    /// <param name="innerClient">The client below (normally a function-invoking client over the fallback chain).</param>
    /// <param name="limitUsd">The per-turn limit; <see langword="null"/> uses the chain's <see cref="BudgetOptions.MaxCostPerTurn"/>.</param>
    public TurnBudgetChatClient(IChatClient innerClient, decimal? limitUsd = null)
        : base(innerClient)
    {
        if (limitUsd is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(limitUsd), limitUsd, "A turn budget must be a positive amount of US dollars.");
        }

        _limitUsd = limitUsd ?? innerClient.GetService<FallbackChatClient>()?.MaxCostPerTurn;
    }

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        options = WithTurn(options, out var turn);
        var response = await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        if (turn?.StopReason is { } reason)
        {
            // The loop was ended for the budget: the turn's answer says so in words, after the last tool result.
            response.Messages.Add(new ChatMessage(ChatRole.Assistant, reason) { AdditionalProperties = new() { [FallbackMetadataKeys.TurnBudget] = turn } });
        }

        return response;
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        options = WithTurn(options, out var turn);
        await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
        {
            yield return update;
        }

        if (turn?.StopReason is { } reason)
        {
            yield return new ChatResponseUpdate(ChatRole.Assistant, reason)
            {
                MessageId = Guid.NewGuid().ToString("N"),
                AdditionalProperties = new() { [FallbackMetadataKeys.TurnBudget] = turn },
            };
        }
    }

    private ChatOptions? WithTurn(ChatOptions? options, out TurnBudget? turn)
    {
        var properties = options?.AdditionalProperties;
        if (properties is not null && properties.TryGetValue(FallbackMetadataKeys.TurnBudget, out var existing) && existing is TurnBudget given)
        {
            turn = given;
            return options;
        }

        turn = null;

        var limit = properties is null ? null : Routing.RoutingRequest.ReadDecimal(properties, FallbackMetadataKeys.MaxTurnCostUsd);
        limit ??= _limitUsd;
        if (limit is not { } usd)
        {
            return options;
        }

        var copy = options?.Clone() ?? new ChatOptions();
        copy.AdditionalProperties = properties is null ? [] : new AdditionalPropertiesDictionary(properties);
        turn = new TurnBudget(usd);
        copy.AdditionalProperties[FallbackMetadataKeys.TurnBudget] = turn;
        return copy;
    }
}
