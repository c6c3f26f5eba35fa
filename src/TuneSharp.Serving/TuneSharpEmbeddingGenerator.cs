// Microsoft.Extensions.AI IEmbeddingGenerator over the serving engine's sentence encoder.
using Microsoft.Extensions.AI;

namespace TuneSharp.Serving;

/// <summary>
/// Embeds with the engine's <see cref="TextEmbedder"/>; an engine serving only a decoder model has none, and
/// <see cref="GenerateAsync"/> then throws <see cref="NotSupportedException"/> (the HTTP endpoint answers 400).
/// </summary>
public sealed class TuneSharpEmbeddingGenerator(ServingEngine engine) : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly ServingEngine _engine = engine ?? throw new ArgumentNullException(nameof(engine));

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var emb = _engine.Embedder ?? throw new NotSupportedException($"{_engine.ModelName} is a decoder-only causal language model; embeddings need an encoder (sentence-transformers) model");
        var texts = values.ToList();
        return Task.Run(() =>
        {
            float[][] vectors;
            int tokens;
            lock (emb)
            {
                vectors = emb.Embed(texts);
                tokens = texts.Sum(emb.CountTokens);
            }
            var result = new GeneratedEmbeddings<Embedding<float>>(vectors.Select(v => new Embedding<float>(v) { ModelId = emb.Name, CreatedAt = DateTimeOffset.UtcNow }))
            {
                Usage = new UsageDetails { InputTokenCount = tokens, TotalTokenCount = tokens },
            };
            return result;
        }, cancellationToken);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this
        : serviceKey is null && serviceType == typeof(EmbeddingGeneratorMetadata) ? new EmbeddingGeneratorMetadata("tunesharp", null, _engine.Embedder?.Name, _engine.Embedder?.Dimension)
        : null;

    public void Dispose() { }
}
