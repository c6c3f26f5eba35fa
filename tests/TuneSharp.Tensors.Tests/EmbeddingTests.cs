// Embedding kernel (F32/BF16/F16 tables, scale, scatter-add backward) vs the scalar twin, finite differences and PyTorch.
using TuneSharp.Tensors.Kernels;
using TuneSharp.Tensors.Kernels.Reference;
using TuneSharp.Testing;
using static TuneSharp.Tensors.Tests.ElementwiseTestData;
using static TuneSharp.Testing.Widening;

namespace TuneSharp.Tensors.Tests;

public sealed class EmbeddingTests
{
    [Fact]
    public void MatchesTwinForAllTableTypes()
    {
        foreach (int cols in OddCols.Append(2048))
            foreach (int tokens in new[] { 1, 3, 7 })
            {
                const int vocab = 11;
                var rng = new Random(cols * 10 + tokens);
                var ids = Enumerable.Range(0, tokens).Select(_ => rng.Next(vocab)).ToArray();
                ids[0] = vocab - 1;
                float[] table = Randn(rng, vocab * cols);
                float scale = MathF.Sqrt(cols);
                float[] e = new float[tokens * cols], a = new float[tokens * cols];
                EmbeddingReference.Forward<float>(ids, table, e, vocab, cols, scale);
                Embedding.Forward(ids, table, a, vocab, cols, scale);
                NumericAssert.Close(e, a, 0, 0, $"f32 C={cols} N={tokens}");

                var bf = Array.ConvertAll(table, v => (BFloat16)v);
                var widened = Array.ConvertAll(bf, v => (float)v);
                EmbeddingReference.Forward<float>(ids, widened, e, vocab, cols, scale);
                Embedding.Forward(ids, bf, a, vocab, cols, scale);
                NumericAssert.Close(e, a, 0, 0, $"bf16 C={cols} N={tokens}");

                var hf = Array.ConvertAll(table, v => (Half)v);
                widened = Array.ConvertAll(hf, v => (float)v);
                EmbeddingReference.Forward<float>(ids, widened, e, vocab, cols, 1f);
                Embedding.Forward(ids, hf, a, vocab, cols);
                NumericAssert.Close(e, a, 0, 0, $"f16 C={cols} N={tokens}");
            }
    }

    [Fact]
    public void BackwardAccumulatesRepeatedIdsLikeTwin()
    {
        foreach (int cols in OddCols.Append(4096)) // 4096 columns × 40 tokens takes the parallel split
        {
            const int vocab = 9;
            int tokens = cols == 4096 ? 40 : 7;
            var rng = new Random(cols);
            var ids = Enumerable.Range(0, tokens).Select(_ => rng.Next(3)).ToArray(); // many repeats
            float[] dout = Randn(rng, tokens * cols), start = Randn(rng, vocab * cols);
            float[] e = (float[])start.Clone(), a = (float[])start.Clone();
            EmbeddingReference.Backward<float>(ids, dout, e, vocab, cols, 0.5f);
            Embedding.Backward(ids, dout, a, vocab, cols, 0.5f);
            NumericAssert.Close(e, a, 0, 0, $"dtable C={cols}");
        }
    }

    [Fact]
    public void OutOfRangeIdNamesIdAndVocab()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Embedding.Forward([1, 12], new float[10 * 4], new float[8], 10, 4));
        Assert.Contains("12", ex.Message);
        Assert.Contains("10", ex.Message);
        ex = Assert.Throws<ArgumentOutOfRangeException>(() => Embedding.Backward([-1], new float[4], new float[10 * 4], 10, 4));
        Assert.Contains("-1", ex.Message);
        Assert.Throws<ArgumentException>(() => Embedding.Forward([1], new float[39], new float[4], 10, 4));
    }

    [Fact]
    public void GradientMatchesFiniteDifferences()
    {
        const int vocab = 5, cols = 3;
        int[] ids = [4, 1, 4, 0];
        var rng = new Random(6);
        double[] table = ToDouble(Randn(rng, vocab * cols)), g = ToDouble(Randn(rng, ids.Length * cols));
        var y = new double[ids.Length * cols];
        double Loss()
        {
            EmbeddingReference.Forward<double>(ids, table, y, vocab, cols, 1.7);
            return Dot(y, g);
        }
        var numeric = NumericGrad(table, Loss);
        var dtable = new double[vocab * cols];
        EmbeddingReference.Backward<double>(ids, g, dtable, vocab, cols, 1.7);
        NumericAssert.GradClose(numeric, dtable, "embedding dtable");
    }

    [Theory]
    [InlineData("embedding_plain")]
    [InlineData("embedding_gemma_scale")]
    [InlineData("embedding_bf16_scale")]
    public void MatchesTorch(string name)
    {
        var f = GoldenFixture.Load($"ops/{name}.json");
        int vocab = f.Int("vocab"), cols = f.Int("cols");
        var ids = f["ids"].AsInts();
        float[] table = f["table"].AsFloats(), g = f["grad_out"].AsFloats(), y = new float[ids.Length * cols];
        float scale = (float)f.Double("scale");
        if (name.Contains("gemma")) Assert.Equal((float)Math.Sqrt(cols), scale); // Gemma's fp32 normalizer
        if (f.Bool("bf16")) Embedding.Forward(ids, Array.ConvertAll(table, v => (BFloat16)v), y, vocab, cols, scale);
        else Embedding.Forward(ids, table, y, vocab, cols, scale);
        NumericAssert.Close(f["out"].AsFloats(), y, Tolerances.TorchForwardRtol, Tolerances.TorchForwardAtol, name + " out");
        var dtable = new float[vocab * cols];
        Embedding.Backward(ids, g, dtable, vocab, cols, scale);
        NumericAssert.Close(f["grad_table"].AsFloats(), dtable, Tolerances.TorchGradRtol, Tolerances.TorchGradAtol, name + " grad_table");
    }
}
