// The serving engine's embedding model: a sentence encoder behind delegates (POST /v1/embeddings, IEmbeddingGenerator).
namespace TuneSharp.Serving;

/// <summary>
/// Wraps any sentence encoder (e.g. the evaluation layer's sentence-transformers encoder:
/// <c>new TextEmbedder(name, enc.Dimension, t =&gt; enc.Encode(t), s =&gt; enc.Tokenize(s).Length)</c>).
/// Decoder-only models have none, and /v1/embeddings answers 400.
/// </summary>
public sealed class TextEmbedder(string name, int dimension, Func<IReadOnlyList<string>, float[][]> embed, Func<string, int> countTokens)
{
    public string Name { get; } = name;

    public int Dimension { get; } = dimension;

    /// <summary>One vector of <see cref="Dimension"/> floats per text.</summary>
    public float[][] Embed(IReadOnlyList<string> texts) => embed(texts);

    public int CountTokens(string text) => countTokens(text);
}
