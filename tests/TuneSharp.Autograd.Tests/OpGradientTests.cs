// F32 fourth-order finite-difference checks of every op on small shapes, through the real tape forward (float64-twin checks: OpTwinGradientTests; tolerances: GradCheck).
using TuneSharp.Autograd;
using TuneSharp.Autograd.Ops;
using TuneSharp.Tensors;
using TuneSharp.Tensors.Kernels;

namespace TuneSharp.Autograd.Tests;

public sealed class OpGradientTests
{
    private static Variable P(string name, int seed, params int[] shape) => GradCheck.Param(name, seed, 1f, shape);

    [Fact]
    public void Linear_WithBias()
    {
        var x = P("x", 1, 2, 3, 5);
        var w = P("w", 2, 4, 5);
        var b = P("b", 3, 4);
        GradCheck.Check(t => t.Linear(x, w, b), [x, w, b]);
    }

    [Fact]
    public void Linear_FrozenBf16Weight_GivesOnlyInputGradient()
    {
        var x = P("x", 1, 6, 8);
        var w = Variable.Parameter(Tensor.FromArrayBf16(GradCheck.Random(3 * 8, 2, 1f), 3, 8), trainable: false, "w");
        GradCheck.Check(t => t.Linear(x, w), [x]);
        Assert.Null(w.Grad);
    }

    [Fact]
    public void Linear_FrozenNf4Weight_MatchesDequantizedF32()
    {
        int n = 8, k = 64;
        var x = P("x", 1, 3, k);
        var nf4 = Nf4Matrix.Quantize(GradCheck.Random(n * k, 2, 1f), n, k);
        var bias = P("b", 3, n);
        GradCheck.Check(t => t.Linear(x, nf4.AsGemmWeights(), nf4), [x]);
        GradCheck.Check(t => t.LinearNf4(x, nf4, bias), [x, bias]);
        // Same forward as an F32 Linear over the dequantized rows.
        var deq = new float[n * k];
        var src = nf4.AsGemmWeights();
        unsafe
        {
            fixed (float* d = deq)
                for (int r = 0; r < n; r++) src.WidenRow(r, 0, k, d + r * k);
        }
        using var tape = new Tape();
        var y1 = tape.Linear(x, nf4.AsGemmWeights(), nf4).Value.ToFloatArray();
        var y2 = tape.Linear(x, Variable.Constant(Tensor.FromArray(deq, n, k))).Value.ToFloatArray();
        TuneSharp.Testing.NumericAssert.Close(y2, y1, TuneSharp.Testing.Tolerances.MatMulRtol, TuneSharp.Testing.Tolerances.MatMulAtol, "nf4 linear");
    }

    [Fact]
    public void MatMul()
    {
        var a = P("a", 1, 4, 3);
        var b = P("b", 2, 3, 5);
        GradCheck.Check(t => t.MatMul(a, b), [a, b]);
    }

    [Fact]
    public void AddMulScaleReshape()
    {
        var a = P("a", 1, 4, 6);
        var b = P("b", 2, 4, 6);
        GradCheck.Check(t =>
        {
            var s = t.Add(a, b);
            var m = t.Mul(s, a);
            var r = t.Reshape(m, 2, 2, 6);
            var z = t.Scale(r, 0.5f);
            return t.Add(z, t.Reshape(a, 2, 2, 6));
        }, [a, b]);
    }

    [Fact]
    public void AddOfSameVariable()
    {
        var a = P("a", 1, 5);
        GradCheck.Check(t => t.Mul(t.Add(a, a), a), [a]);
    }

    [Fact]
    public void Embedding_ScaledWithRepeatedIds()
    {
        var table = P("table", 1, 7, 4);
        int[] ids = [3, 0, 3, 6, 3];
        GradCheck.Check(t => t.Embedding(ids, table, scale: 2f), [table]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RmsNorm(bool gemma)
    {
        var x = P("x", 1, 3, 8);
        var w = P("w", 2, 8);
        GradCheck.Check(t => t.RmsNorm(x, w, 1e-6f, gemma), [x, w]);
    }

    [Fact]
    public void Rope()
    {
        int tokens = 5, heads = 2, hs = 8;
        var x = P("x", 1, tokens, heads * hs);
        var inv = TuneSharp.Tensors.Kernels.Rope.InverseFrequencies(hs, 10000.0);
        using var table = new RopeTable(new[] { 0, 1, 2, 7, 3 }, inv);
        GradCheck.Check(t => t.Rope(x, table, heads), [x]);
    }

    [Theory]
    [InlineData(false, 0, 0f, false)]
    [InlineData(true, 0, 0f, false)]
    [InlineData(true, 3, 0f, false)]
    [InlineData(true, 0, 2f, false)]
    [InlineData(true, 0, 0f, true)]
    public void Attention(bool causal, int window, float softCap, bool padding)
    {
        int b = 2, t = 5, nh = 4, nkv = 2, hs = 4;
        var q = P("q", 1, b, t, nh, hs);
        var k = P("k", 2, b, t, nkv, hs);
        var v = P("v", 3, b, t, nkv, hs);
        var shape = new AttentionShape(b, t, t, nh, nkv, hs) { Causal = causal, SlidingWindow = window, SoftCap = softCap };
        byte[] mask = padding ? [0, 1, 1, 1, 1, 1, 1, 1, 1, 0] : [];
        GradCheck.Check(tp => tp.Attention(q, k, v, shape, mask), [q, k, v]);
    }

    [Fact]
    public void SwiGlu()
    {
        var g = P("gate", 1, 3, 6);
        var u = P("up", 2, 3, 6);
        GradCheck.Check(t => t.SwiGlu(g, u), [g, u]);
    }

    [Fact]
    public void GeGlu()
    {
        var g = GradCheck.Param("gate", 1, 2f, 3, 6);
        var u = P("up", 2, 3, 6);
        GradCheck.Check(t => t.GeGlu(g, u), [g, u]);
    }

    [Fact]
    public void SiluGeluTanhSoftmax()
    {
        var x = GradCheck.Param("x", 1, 2f, 3, 7);
        GradCheck.Check(t => t.Silu(x), [x]);
        GradCheck.Check(t => t.GeluTanh(x), [x]);
        GradCheck.Check(t => t.Softmax(t.Scale(x, 1.5f)), [x]);
    }

    [Fact]
    public void Dropout_Gradient()
    {
        var x = P("x", 1, 4, 16);
        GradCheck.Check(t => t.Dropout(x, 0.25f), [x]);
    }

    [Theory]
    [InlineData(37, 0.25f)]
    [InlineData(100_003, 0.1f)]
    public void Dropout_MaskIsTheCounterRngDraw(int n, float p)
    {
        var xs = GradCheck.Random(n, 3, 1f);
        using var tape = new Tape(seed: 9) { RandomCounter = 5 };
        var x = Variable.Constant(Tensor.FromArray(xs, n));
        var y = tape.Dropout(x, p).Value.ToFloatArray();
        Assert.Equal(6UL, tape.RandomCounter);
        ulong key = CounterRng.Key(9, 5);
        int dropped = 0;
        for (int i = 0; i < n; i++)
        {
            bool keep = CounterRng.Uniform((uint)i, key) >= p;
            Assert.Equal(keep ? xs[i] * (1f / (1f - p)) : 0f, y[i]);
            if (!keep) dropped++;
        }
        if (n > 10_000) Assert.InRange(dropped / (double)n, p - 0.01, p + 0.01);
    }

    [Theory]
    [InlineData(false, 0f)]
    [InlineData(true, 0f)]
    [InlineData(true, 3f)]
    public void LmHeadCrossEntropy(bool trainableHead, float softCap)
    {
        int n = 6, c = 5, vocab = 11;
        var h = P("hidden", 1, n, c);
        var w = Variable.Parameter(Tensor.FromArray(GradCheck.Random(vocab * c, 2, 1f), vocab, c), trainableHead, "lm_head");
        int[] labels = [3, -100, 10, 0, -100, 7];
        GradCheck.Check(t => t.LmHeadCrossEntropy(h, w, labels, softCap), trainableHead ? [h, w] : [h]);
        if (!trainableHead) Assert.Null(w.Grad);
    }

    [Fact]
    public void LmHeadCrossEntropy_TokenCountOverride_DividesByIt()
    {
        int n = 4, c = 3, vocab = 5;
        var h = P("hidden", 1, n, c);
        var w = Variable.Constant(Tensor.FromArray(GradCheck.Random(vocab * c, 2, 1f), vocab, c));
        int[] labels = [1, -100, 4, 0];
        float mean, overridden;
        float[] gMean;
        using (var t = new Tape())
        {
            var l = t.LmHeadCrossEntropy(h, w, labels);
            t.Backward(l);
            mean = l.Item();
            gMean = h.Grad!.ToFloatArray();
        }
        h.ClearGrad();
        using (var t = new Tape())
        {
            var l = t.LmHeadCrossEntropy(h, w, labels, tokenCount: 12);
            t.Backward(l);
            overridden = l.Item();
        }
        Assert.Equal(mean * 3 / 12, overridden, 6);
        TuneSharp.Testing.NumericAssert.Close(gMean.Select(g => g * 3 / 12).ToArray(), h.Grad!.ToFloatArray(), 1e-6, 1e-8, "dhidden");
        GradCheck.Check(t => t.LmHeadCrossEntropy(h, w, labels, tokenCount: 12), [h]);
        var none = Enumerable.Repeat(-100, n).ToArray();
        using (var t = new Tape())
        {
            var l = t.LmHeadCrossEntropy(h, w, none);
            t.Backward(l);
            Assert.Equal(0f, l.Item());
            Assert.All(h.Grad!.ToFloatArray(), g => Assert.Equal(0f, g));
        }
    }

    [Fact]
    public void LmHeadCrossEntropy_LossIsMeanOverCountedTokens()
    {
        int n = 4, c = 3, vocab = 5;
        var hv = GradCheck.Random(n * c, 1, 1f);
        var wv = GradCheck.Random(vocab * c, 2, 1f);
        int[] labels = [1, -100, 4, 0];
        using var tape = new Tape();
        var loss = tape.LmHeadCrossEntropy(Variable.Constant(Tensor.FromArray(hv, n, c)), Variable.Constant(Tensor.FromArray(wv, vocab, c)), labels);
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            if (labels[i] < 0) continue;
            var z = new double[vocab];
            for (int j = 0; j < vocab; j++) for (int p = 0; p < c; p++) z[j] += (double)hv[i * c + p] * wv[j * c + p];
            double max = z.Max(), lse = max + Math.Log(z.Sum(e => Math.Exp(e - max)));
            sum += lse - z[labels[i]];
        }
        Assert.Equal(sum / 3, loss.Item(), 5);
        Assert.False(loss.RequiresGrad);
    }
}
