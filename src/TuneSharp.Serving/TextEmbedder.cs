// The serving engine's embedding model: a sentence encoder behind delegates (POST /v1/embeddings, IEmbeddingGenerator).
namespace TuneSharp.Serving;

/// <summary>
/// Wraps a sentence encoder: <see cref="FromSentenceEncoder"/> for sentence-transformers folders, or delegates
/// for any other embedding function.
/// Decoder-only models have none, and /v1/embeddings answers 400.
/// </summary>
public sealed class TextEmbedder(string name, int dimension, Func<IReadOnlyList<string>, float[][]> embed, Func<string, int> countTokens)
{
    /// <summary>A sentence-transformers model (as SentenceTransformer.encode: pooling, optional normalisation).</summary>
    public static TextEmbedder FromSentenceEncoder(Models.Encoders.SentenceEncoder encoder, string name) =>
        new(name, encoder.Dimension, texts => encoder.Encode(texts), text => encoder.Tokenize(text).Length);

    /// <summary>Loads a sentence-transformers folder; the served name is the folder's name.</summary>
    public static TextEmbedder Load(string folder) =>
        FromSentenceEncoder(Models.Encoders.SentenceEncoder.FromFolder(folder), Path.GetFileName(folder.TrimEnd('/', '\\')));

    public string Name { get; } = name;

    public int Dimension { get; } = dimension;

    /// <summary>One vector of <see cref="Dimension"/> floats per text.</summary>
    public float[][] Embed(IReadOnlyList<string> texts) => embed(texts);

    public int CountTokens(string text) => countTokens(text);
}
