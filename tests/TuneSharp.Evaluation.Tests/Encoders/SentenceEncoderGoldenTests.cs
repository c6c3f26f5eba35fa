// Sentence embeddings of BERT (real all-MiniLM-L6-v2 config), XLM-R and MPNet vs the PyTorch mirror (tests/golden/gen_encoders.py).
using System.Text.Json;
using System.Text.Json.Nodes;
using TuneSharp.Models.Encoders;
using TuneSharp.Testing;

namespace TuneSharp.Evaluation.Tests.Encoders;

public sealed class SentenceEncoderGoldenTests : IDisposable
{
    /// <summary>Embeddings vs PyTorch (the acceptance bound).</summary>
    private const double EmbeddingAtol = 1e-5;

    /// <summary>Batched (padded) vs one-by-one in our own engine.</summary>
    private const double BatchAtol = 1e-6;

    private readonly string _root = Path.Combine(Path.GetTempPath(), "ts-enc-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, true);
    }

    internal static string MiniLmDir => MiniLmFixture.SharedDir;

    private SentenceEncoder Load(GoldenFixture fx, string prefix = "")
    {
        // The MiniLM fixture's weights are the shared random MiniLM (same generator, real config); built once per run.
        if (fx.Name == "minilm_l6" && prefix == "") return MiniLmFixture.Encoder;
        var cfg = JsonNode.Parse(fx.Config.GetProperty("model_config").GetRawText())!;
        var pooling = JsonNode.Parse(fx.Config.GetProperty("pooling").GetRawText())!;
        var dir = DeterministicWeights.WriteFolder(Path.Combine(_root, fx.Name), cfg, pooling, fx.Bool("normalize"), MiniLmDir, prefix);
        return SentenceEncoder.FromFolder(dir);
    }

    private static int[][] Rows(GoldenFixture fx)
    {
        var ids = fx["ids"];
        var lengths = fx["lengths"].AsInts();
        int T = ids.Shape[1];
        var flat = ids.AsInts();
        return lengths.Select((len, b) => flat.AsSpan(b * T, len).ToArray()).ToArray();
    }

    [Theory]
    [InlineData("minilm_l6", "")]
    [InlineData("xlmr_small", "roberta.")]
    [InlineData("xlmr_small_mean", "")]
    [InlineData("mpnet_small", "mpnet.")]
    public void EmbeddingsMatchPyTorchBatchedAndOneByOne(string name, string prefix)
    {
        var fx = GoldenFixture.Load($"encoders/{name}.json");
        var enc = Load(fx, prefix);
        var rows = Rows(fx);
        var batched = enc.EncodeIds(rows);
        int D = enc.Dimension;
        Assert.Equal(fx["batched"].Shape[1], D);
        var expected = fx["batched"].AsFloats();
        var single = fx["single"].AsFloats();
        for (int b = 0; b < rows.Length; b++)
        {
            NumericAssert.Close(expected.AsSpan(b * D, D), batched[b], 0, EmbeddingAtol, $"{name} row {b} batched vs torch");
            NumericAssert.Close(single.AsSpan(b * D, D), batched[b], 0, EmbeddingAtol, $"{name} row {b} batched vs torch one-by-one");
            var alone = enc.EncodeIds([rows[b]])[0];
            NumericAssert.Close(alone, batched[b], 0, BatchAtol, $"{name} row {b} batched vs one-by-one");
        }
    }

    [Fact]
    public void MiniLmTextPathTokenizesLikeTheFixtureAndSortsBatchesBackIntoOrder()
    {
        var fx = GoldenFixture.Load("encoders/minilm_l6.json");
        var enc = Load(fx);
        Assert.Equal(256, enc.MaxSeqLength);
        Assert.True(enc.Normalize);
        var sentences = JsonSerializer.Deserialize<string[]>(File.ReadAllText(SharedAssets.Golden("encoders/minilm_l6_sentences.json")))!;
        var rows = Rows(fx);
        for (int i = 0; i < sentences.Length; i++) Assert.Equal(rows[i], enc.Tokenize(sentences[i].ToUpperInvariant()));
        var emb = enc.Encode(sentences, batchSize: 2);
        var expected = fx["batched"].AsFloats();
        for (int b = 0; b < sentences.Length; b++)
            NumericAssert.Close(expected.AsSpan(b * enc.Dimension, enc.Dimension), emb[b], 0, EmbeddingAtol, $"text row {b}");
        // Korean and empty text run through the same path (WordPiece pieces / [UNK]; "" is just [CLS] [SEP]).
        var ko = enc.Encode(["선하증권은 화물 수령을 증명한다", ""]);
        Assert.All(ko, e => Assert.Equal(1.0, Math.Sqrt(e.Sum(v => (double)v * v)), 5));
    }

    [Fact]
    public void TruncationKeepsSpecialTokens()
    {
        var fx = GoldenFixture.Load("encoders/xlmr_small.json");
        var enc = Load(fx);
        var ids = enc.Tokenize(string.Join(' ', Enumerable.Repeat("customs", 200)));
        Assert.Equal(enc.MaxSeqLength, ids.Length);
        Assert.Equal(101, ids[0]);
        Assert.Equal(102, ids[^1]);
    }

    [Fact]
    public void MissingPoolingConfigIsAClearError()
    {
        var fx = GoldenFixture.Load("encoders/xlmr_small.json");
        Load(fx);
        var dir = Path.Combine(_root, fx.Name);
        File.Delete(Path.Combine(dir, "1_Pooling", "config.json"));
        var e = Assert.Throws<EncoderLoadException>(() => SentenceEncoder.FromFolder(dir));
        Assert.Contains("1_Pooling", e.Message);
        Assert.Contains("--pooling", e.Message);
        File.Delete(Path.Combine(dir, "modules.json"));
        e = Assert.Throws<EncoderLoadException>(() => SentenceEncoder.FromFolder(dir));
        Assert.Contains("no pooling config", e.Message);
        Assert.Equal(32, SentenceEncoder.FromFolder(dir, PoolingConfig.Cls).Dimension);
    }

    [Fact]
    public void RelativePositionBucketsMatchHfTable()
    {
        // Hand-evaluated from MPNetEncoder.relative_position_bucket: |n| < 8 exact; 8 → 8; 12 → 9; 16 → 10; 127 → 15; sign adds 16.
        Assert.Equal(0, TransformerEncoder.RelativePositionBucket(0));
        Assert.Equal(3, TransformerEncoder.RelativePositionBucket(-3));
        Assert.Equal(19, TransformerEncoder.RelativePositionBucket(3));
        Assert.Equal(8, TransformerEncoder.RelativePositionBucket(-8));
        Assert.Equal(9, TransformerEncoder.RelativePositionBucket(-12));
        Assert.Equal(10, TransformerEncoder.RelativePositionBucket(-16));
        Assert.Equal(15, TransformerEncoder.RelativePositionBucket(-127));
        Assert.Equal(31, TransformerEncoder.RelativePositionBucket(500));
    }
}
