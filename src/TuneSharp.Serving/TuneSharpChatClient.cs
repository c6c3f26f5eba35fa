// Microsoft.Extensions.AI IChatClient over the serving engine: a .NET app talks to a tuned model without HTTP.
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.AI;
using TuneSharp.Inference;
using TuneSharp.Inference.Constrained;
using TuneSharp.Inference.Scheduling;

namespace TuneSharp.Serving;

/// <summary>
/// Requests go through the same <see cref="BatchScheduler"/> as HTTP ones (and batch with them). ChatOptions map like
/// the HTTP fields: ModelId picks the base or an adapter, Temperature (default 1), TopP, TopK, penalties, Seed,
/// StopSequences, MaxOutputTokens, ResponseFormat (Json with or without a schema → constrained decoding);
/// AdditionalProperties may carry "min_p" and "repetition_penalty". Tools are not supported.
/// </summary>
public sealed class TuneSharpChatClient(ServingEngine engine) : IChatClient
{
    private readonly ServingEngine _engine = engine ?? throw new ArgumentNullException(nameof(engine));

    public ChatClientMetadata Metadata { get; } = new("tunesharp", null, engine.ModelName);

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var (seq, model) = Submit(messages, options, cancellationToken);
        await foreach (var _ in seq.Tokens.ReadAllAsync(CancellationToken.None)) { }
        var res = await seq.Completion;
        cancellationToken.ThrowIfCancellationRequested();
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, res.Text))
        {
            ModelId = model,
            ResponseId = "chatcmpl-" + Guid.NewGuid().ToString("N"),
            CreatedAt = DateTimeOffset.UtcNow,
            FinishReason = Finish(res.FinishReason),
            Usage = new UsageDetails { InputTokenCount = res.PromptIds.Length, OutputTokenCount = res.GeneratedIds.Length, TotalTokenCount = res.PromptIds.Length + res.GeneratedIds.Length },
        };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var (seq, model) = Submit(messages, options, cancellationToken);
        string id = "chatcmpl-" + Guid.NewGuid().ToString("N");
        await foreach (var t in seq.Tokens.ReadAllAsync(cancellationToken))
            if (t.Text.Length > 0) yield return new ChatResponseUpdate(ChatRole.Assistant, t.Text) { ModelId = model, ResponseId = id, MessageId = id };
        var res = await seq.Completion;
        cancellationToken.ThrowIfCancellationRequested();
        yield return new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(new UsageDetails
        {
            InputTokenCount = res.PromptIds.Length,
            OutputTokenCount = res.GeneratedIds.Length,
            TotalTokenCount = res.PromptIds.Length + res.GeneratedIds.Length,
        })])
        { ModelId = model, ResponseId = id, MessageId = id, FinishReason = Finish(res.FinishReason) };
    }

    private static ChatFinishReason? Finish(FinishReason? r) => r switch
    {
        FinishReason.Length => ChatFinishReason.Length,
        null => null,
        _ => ChatFinishReason.Stop,
    };

    private (ScheduledSequence, string) Submit(IEnumerable<ChatMessage> messages, ChatOptions? o, CancellationToken ct)
    {
        var list = new List<Dictionary<string, object?>>();
        if (o?.Instructions is { Length: > 0 } sys) list.Add(new() { ["role"] = "system", ["content"] = sys });
        foreach (var m in messages) list.Add(new() { ["role"] = m.Role.Value, ["content"] = m.Text });
        if (list.Count == 0) throw new InvalidRequestException("no messages given", "messages");
        var model = o?.ModelId ?? _engine.ModelName;
        var adapter = _engine.ResolveAdapter(model);
        var prompt = _engine.EncodeChat(list);
        float Extra(string key, float dflt) =>
            o?.AdditionalProperties?.TryGetValue(key, out var v) == true && v is not null ? Convert.ToSingle(v, System.Globalization.CultureInfo.InvariantCulture) : dflt;
        var options = new GenerationOptions
        {
            MaxNewTokens = o?.MaxOutputTokens ?? Math.Max(1, _engine.Scheduler.MaxContext - prompt.Length),
            Temperature = o?.Temperature ?? 1f,
            TopP = o?.TopP ?? 1f,
            TopK = o?.TopK is int k && k > 0 ? k : 0,
            MinP = Extra("min_p", 0f),
            RepetitionPenalty = Extra("repetition_penalty", 1f),
            PresencePenalty = o?.PresencePenalty ?? 0f,
            FrequencyPenalty = o?.FrequencyPenalty ?? 0f,
            Seed = o?.Seed is long s ? unchecked((int)s) : null,
            StopStrings = o?.StopSequences?.ToList() ?? [],
            Adapter = adapter,
            SkipSpecialTokens = true,
        };
        JsonConstraint? constraint = o?.ResponseFormat switch
        {
            ChatResponseFormatJson { Schema: JsonElement schema } => JsonConstraint.FromSchema(_engine.Tokenizer, schema),
            ChatResponseFormatJson => JsonConstraint.JsonObject(_engine.Tokenizer),
            _ => null,
        };
        var seq = _engine.Scheduler.Submit(new SequenceRequest(prompt, options) { Constraint = constraint, CancellationToken = ct });
        return (seq, model);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this
        : serviceKey is null && serviceType == typeof(ChatClientMetadata) ? Metadata
        : serviceKey is null && serviceType == typeof(ServingEngine) ? _engine
        : null;

    /// <summary>The engine is owned by whoever created it; disposing the client leaves it running.</summary>
    public void Dispose() { }
}
