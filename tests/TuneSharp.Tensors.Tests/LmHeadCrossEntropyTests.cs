// Fused chunked LM head + cross-entropy vs its materializing twin, finite differences and PyTorch F.cross_entropy goldens.
using TuneSharp.Tensors.Kernels;
using TuneSharp.Tensors.Kernels.Reference;
using TuneSharp.Testing;
using static TuneSharp.Testing.Widening;

namespace TuneSharp.Tensors.Tests;

public sealed class LmHeadCrossEntropyTests
{
    private static float[] Random(Random rng, int count, float scale = 1f)
    {
        var r = new float[count];
        for (int i = 0; i < r.Length; i++) r[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return r;
    }


    private static int[] Labels(Random rng, int n, int v, double ignoredFraction)
    {
        var labels = new int[n];
        for (int i = 0; i < n; i++) labels[i] = rng.NextDouble() < ignoredFraction ? LmHeadCrossEntropy.IgnoreIndex : rng.Next(v);
        return labels;
    }

    public static TheoryData<int, int, int, float, int, string> Cases() => new()
    {
        { 1, 8, 17, 0f, 0, "f32" },
        { 7, 24, 100, 0f, 3, "f32" },
        { 33, 16, 300, 0f, 8, "f32" },
        { 33, 16, 300, 30f, 8, "f32" },
        { 20, 9, 65, 4f, 0, "f32" },
        { 19, 32, 129, 0f, 5, "bf16" },
        { 19, 32, 129, 10f, 64, "f16" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesTwin(int n, int c, int v, float softCap, int chunkRows, string weightType)
    {
        var rng = new Random(n * 1000 + v);
        var hidden = Random(rng, n * c, 2f);
        var weightF = Random(rng, v * c);
        var labels = Labels(rng, n, v, 0.25);
        labels[0] = 0;
        var bf = Array.ConvertAll(weightF, x => (BFloat16)x);
        var hf = Array.ConvertAll(weightF, x => (Half)x);
        if (weightType == "bf16") weightF = Array.ConvertAll(bf, x => (float)x);
        if (weightType == "f16") weightF = Array.ConvertAll(hf, x => (float)x);

        int count = LmHeadCrossEntropy.CountTargets(labels);
        float gradScale = LmHeadCrossEntropy.GradScaleForMean(count);
        var dh = new float[n * c];
        var dw = Random(rng, v * c); // accumulates onto what is there
        var dw0 = (float[])dw.Clone();
        var result = weightType switch
        {
            "bf16" => LmHeadCrossEntropy.ForwardBackward(hidden, bf, labels, dh, dw, n, c, v, gradScale, softCap, chunkRows),
            "f16" => LmHeadCrossEntropy.ForwardBackward(hidden, hf, labels, dh, dw, n, c, v, gradScale, softCap, chunkRows),
            _ => LmHeadCrossEntropy.ForwardBackward(hidden, weightF, labels, dh, dw, n, c, v, gradScale, softCap, chunkRows),
        };
        var evalResult = weightType switch
        {
            "bf16" => LmHeadCrossEntropy.Forward(hidden, bf, labels, n, c, v, softCap, chunkRows),
            "f16" => LmHeadCrossEntropy.Forward(hidden, hf, labels, n, c, v, softCap, chunkRows),
            _ => LmHeadCrossEntropy.Forward(hidden, weightF, labels, n, c, v, softCap, chunkRows),
        };

        var dhRef = new double[n * c];
        var dwRef = ToDouble(dw0);
        var (lossRef, countRef) = LmHeadCrossEntropyReference.ForwardBackward<double>(ToDouble(hidden), ToDouble(weightF), labels, n, c, v,
            gradScale, softCap, dhRef, dwRef);
        Assert.Equal(countRef, result.Count);
        Assert.Equal(count, evalResult.Count);
        NumericAssert.Close([lossRef], [result.LossSum], Tolerances.MatMulRtol, Tolerances.MatMulAtol, "loss sum");
        Assert.Equal(result.LossSum, evalResult.LossSum);
        NumericAssert.Close(dhRef, ToDouble(dh), Tolerances.MatMulRtol, Tolerances.MatMulAtol, "dhidden");
        NumericAssert.Close(dwRef, ToDouble(dw), Tolerances.MatMulRtol, Tolerances.MatMulAtol, "dweight");
        for (int i = 0; i < n; i++)
            if (labels[i] == LmHeadCrossEntropy.IgnoreIndex)
                for (int p = 0; p < c; p++) Assert.Equal(0f, dh[i * c + p]);
    }

    [Theory]
    [InlineData(1024, 49152)]
    [InlineData(1, 49152)]
    [InlineData(337, 49152)]
    [InlineData(5000, 32000)]
    [InlineData(4096, 262144)]
    [InlineData(100, 8)]
    public void DefaultChunksAreEvenAndNoLargerThanTheCap(int rows, int vocab)
    {
        int cap = LmHeadCrossEntropy.DefaultChunkRows(vocab);
        int chunk = LmHeadCrossEntropy.ChunkRows(rows, vocab);
        int chunks = (rows + chunk - 1) / chunk;
        Assert.InRange(chunk, 1, Math.Min(cap, rows));
        Assert.Equal((rows + cap - 1) / cap, chunks); // no more passes over W than the cap needs
        Assert.True(rows - (chunks - 1) * chunk > chunk - chunks, $"last chunk of {rows} rows by {chunk} is ragged");
    }

    [Fact]
    public void AllIgnoredGivesZeroCountAndZeroGradients()
    {
        var rng = new Random(3);
        int n = 5, c = 4, v = 11;
        var hidden = Random(rng, n * c);
        var weight = Random(rng, v * c);
        var labels = Enumerable.Repeat(LmHeadCrossEntropy.IgnoreIndex, n).ToArray();
        var dh = Enumerable.Repeat(7f, n * c).ToArray();
        var dw = new float[v * c];
        int count = LmHeadCrossEntropy.CountTargets(labels);
        var result = LmHeadCrossEntropy.ForwardBackward(hidden, weight, labels, dh, dw, n, c, v, LmHeadCrossEntropy.GradScaleForMean(count));
        Assert.Equal(0, result.Count);
        Assert.Equal(0.0, result.LossSum);
        Assert.Equal(0.0, result.Mean);
        Assert.All(dh, x => Assert.Equal(0f, x));
        Assert.All(dw, x => Assert.Equal(0f, x));
        Assert.Equal(0f, LmHeadCrossEntropy.GradScaleForMean(0, 4));
        Assert.Equal(0.125f, LmHeadCrossEntropy.GradScaleForMean(2, 4));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(2.0)]
    public void TwinGradientsMatchFiniteDifferences(double softCap)
    {
        var rng = new Random(17);
        int n = 4, c = 3, v = 6;
        var hidden = ToDouble(Random(rng, n * c, 1.5f));
        var weight = ToDouble(Random(rng, v * c, 1.5f));
        int[] labels = [2, LmHeadCrossEntropy.IgnoreIndex, 5, 0];
        var dh = new double[n * c];
        var dw = new double[v * c];
        LmHeadCrossEntropyReference.ForwardBackward<double>(hidden, weight, labels, n, c, v, 1.0, softCap, dh, dw);
        double Loss() => LmHeadCrossEntropyReference.ForwardBackward<double>(hidden, weight, labels, n, c, v, 1.0, softCap, default, default).LossSum;
        foreach (var (x, g, name) in new[] { (hidden, dh, "dhidden"), (weight, dw, "dweight") })
        {
            var numeric = ElementwiseTestData.NumericGrad(x, Loss, h: 1e-6);
            NumericAssert.GradClose(numeric, g, $"softcap {softCap} {name}");
        }
    }

    public static TheoryData<string> Goldens()
    {
        var data = new TheoryData<string>();
        foreach (var f in GoldenFixture.LoadAll("ops", "ce_")) data.Add(Path.GetFileName(f.Path));
        return data;
    }

    [Theory]
    [MemberData(nameof(Goldens))]
    public void MatchesPyTorchCrossEntropy(string file)
    {
        var f = GoldenFixture.Load("ops/" + file);
        int n = f.Int("N"), c = f.Int("C"), v = f.Int("V");
        float cap = (float)f.Double("softcap");
        var hidden = f["hidden"].AsFloats();
        var weight = f["weight"].AsFloats();
        var labels = f["labels"].AsInts();
        int count = LmHeadCrossEntropy.CountTargets(labels);
        Assert.Equal(f.Int("count"), count);
        var dh = new float[n * c];
        var dw = new float[v * c];
        float scale = LmHeadCrossEntropy.GradScaleForMean(count);
        var result = f.String("weight_dtype") switch
        {
            "bf16" => LmHeadCrossEntropy.ForwardBackward(hidden, Array.ConvertAll(weight, x => (BFloat16)x), labels, dh, dw, n, c, v, scale, cap, 4),
            "f16" => LmHeadCrossEntropy.ForwardBackward(hidden, Array.ConvertAll(weight, x => (Half)x), labels, dh, dw, n, c, v, scale, cap, 4),
            _ => LmHeadCrossEntropy.ForwardBackward(hidden, weight, labels, dh, dw, n, c, v, scale, cap, 4),
        };
        NumericAssert.Close(f["loss"].AsFloats(), [(float)result.Mean], Tolerances.TorchForwardRtol, Tolerances.TorchForwardAtol, $"{file} loss");
        NumericAssert.Close(f["grad_hidden"].AsFloats(), dh, Tolerances.TorchGradRtol, Tolerances.TorchGradAtol, $"{file} grad_hidden");
        NumericAssert.Close(f["grad_weight"].AsFloats(), dw, Tolerances.TorchGradRtol, Tolerances.TorchGradAtol, $"{file} grad_weight");
    }

    [Fact]
    public void LogitsHelperMatchesTwinAndBadLabelsThrow()
    {
        var rng = new Random(9);
        int n = 3, c = 8, v = 21;
        var hidden = Random(rng, n * c);
        var weight = Random(rng, v * c);
        var logits = new float[n * v];
        LmHeadCrossEntropy.Logits(hidden, weight, logits, n, c, v, softCap: 0.5f);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < v; j++)
            {
                double acc = 0;
                for (int p = 0; p < c; p++) acc += (double)hidden[i * c + p] * weight[j * c + p];
                Assert.True(Math.Abs(0.5 * Math.Tanh(acc / 0.5) - logits[i * v + j]) < 1e-6);
            }
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() =>
            LmHeadCrossEntropy.Forward(hidden, weight, [1, v, 2], n, c, v));
        Assert.Contains("labels[1]", ex.Message);
        Assert.Throws<ArgumentException>(() => LmHeadCrossEntropy.Forward(hidden, weight, [1, 2], n, c, v));
    }
}
