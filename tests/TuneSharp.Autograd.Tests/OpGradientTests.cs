// Finite-difference checks of every op on small shapes: float64-twin central differences at the STYLE.md bound and F32 fourth-order differences through the real tape forward (both in GradCheck).
using TuneSharp.Autograd;
using TuneSharp.Autograd.Ops;
using TuneSharp.Tensors;
using TuneSharp.Tensors.Kernels;
using TuneSharp.Tensors.Kernels.Reference;
using TuneSharp.Testing;
using Xunit.Abstractions;

namespace TuneSharp.Autograd.Tests;

/// <summary>
/// Each test builds one graph and checks it twice: <see cref="GradCheck.Check"/> (F32, end to end) and
/// <see cref="GradCheck.CheckTwin"/>, whose twin writes the op's forward again as a closure over the reference kernels
/// at T = double, read from the op's source for the exact function (scales, eps, softcap, GQA mapping, padding, dropout
/// mask). Constants the op takes in float (eps, scales, frozen weights) enter the twin as the float values the op sees,
/// widened exactly. Each twin check logs its worst |a − n| / bound.
/// </summary>
public sealed class OpGradientTests(ITestOutputHelper output)
{
    private static Variable P(string name, int seed, params int[] shape) => GradCheck.Param(name, seed, 1f, shape);

    private void Report(string what, double worstRatio) =>
        output.WriteLine($"{what}: worst |a − n| / (1e-6 + 1e-5·|n|) = {worstRatio:F4}");

    [Fact]
    public void Linear_WithBias()
    {
        var x = P("x", 1, 2, 3, 5);
        var w = P("w", 2, 4, 5);
        var b = P("b", 3, 4);
        GradCheck.Check(t => t.Linear(x, w, b), [x, w, b]);
        Report("Linear", GradCheck.CheckTwin(t => t.Linear(x, w, b), [x, w, b], l =>
        {
            var y = TwinMath.MatMulTransB(l[0], l[1], 6, 4, 5);
            TwinMath.AddRowBias(y, l[2]);
            return y;
        }));
    }

    [Fact]
    public void Linear_FrozenBf16Weight_GivesOnlyInputGradient()
    {
        var x = P("x", 1, 6, 8);
        var w = Variable.Parameter(Tensor.FromArrayBf16(GradCheck.Random(3 * 8, 2, 1f), 3, 8), trainable: false, "w");
        GradCheck.Check(t => t.Linear(x, w), [x]);
        // The twin multiplies by the bf16-rounded weight: that is the function the op computes.
        var wd = Widening.ToDouble(w.Value.ToFloatArray());
        Report("Linear (frozen BF16 W)", GradCheck.CheckTwin(t => t.Linear(x, w), [x], l => TwinMath.MatMulTransB(l[0], wd, 6, 3, 8)));
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
        NumericAssert.Close(y2, y1, Tolerances.MatMulRtol, Tolerances.MatMulAtol, "nf4 linear");
        // An NF4 weight is a fixed function of its codes and scales, so its twin is the linear over the widened rows
        // (the same function as long as the GEMM's in-packing dequantization matches WidenRow: the forward check says so).
        var wd = Widening.ToDouble(deq);
        Report("Linear (frozen NF4 W)", GradCheck.CheckTwin(t => t.Linear(x, nf4.AsGemmWeights(), nf4), [x], l => TwinMath.MatMulTransB(l[0], wd, 3, n, k)));
        Report("LinearNf4 (+ bias)", GradCheck.CheckTwin(t => t.LinearNf4(x, nf4, bias), [x, bias], l =>
        {
            var y = TwinMath.MatMulTransB(l[0], wd, 3, n, k);
            TwinMath.AddRowBias(y, l[1]);
            return y;
        }));
    }

    [Fact]
    public void MatMul()
    {
        var a = P("a", 1, 4, 3);
        var b = P("b", 2, 3, 5);
        GradCheck.Check(t => t.MatMul(a, b), [a, b]);
        Report("MatMul", GradCheck.CheckTwin(t => t.MatMul(a, b), [a, b], l => TwinMath.MatMul(l[0], l[1], 4, 3, 5)));
    }

    [Fact]
    public void AddMulScaleReshape()
    {
        var a = P("a", 1, 4, 6);
        var b = P("b", 2, 4, 6);
        Variable Graph(Tape t)
        {
            var s = t.Add(a, b);
            var m = t.Mul(s, a);
            var r = t.Reshape(m, 2, 2, 6);
            var z = t.Scale(r, 0.5f);
            return t.Add(z, t.Reshape(a, 2, 2, 6));
        }
        GradCheck.Check(Graph, [a, b]);
        Report("Add/Mul/Scale/Reshape", GradCheck.CheckTwin(Graph, [a, b], l =>
        {
            // Reshape is a view: row-major (4, 6) and (2, 2, 6) share the flat layout, so the twin needs no step for it.
            double[] av = l[0], s = new double[24], y = new double[24];
            ElementwiseReference.Add<double>(av, l[1], s);
            ElementwiseReference.Mul<double>(s, av, y);
            ElementwiseReference.Scale(y, 0.5, y);
            ElementwiseReference.AddInPlace<double>(av, y);
            return y;
        }));
    }

    [Fact]
    public void AddOfSameVariable()
    {
        var a = P("a", 1, 5);
        GradCheck.Check(t => t.Mul(t.Add(a, a), a), [a]);
        Report("Add(a, a)", GradCheck.CheckTwin(t => t.Mul(t.Add(a, a), a), [a], l =>
        {
            double[] s = new double[5], y = new double[5];
            ElementwiseReference.Add<double>(l[0], l[0], s);
            ElementwiseReference.Mul<double>(s, l[0], y);
            return y;
        }));
    }

    [Fact]
    public void Embedding_ScaledWithRepeatedIds()
    {
        var table = P("table", 1, 7, 4);
        int[] ids = [3, 0, 3, 6, 3];
        GradCheck.Check(t => t.Embedding(ids, table, scale: 2f), [table]);
        Report("Embedding", GradCheck.CheckTwin(t => t.Embedding(ids, table, scale: 2f), [table], l =>
        {
            var y = new double[ids.Length * 4];
            EmbeddingReference.Forward<double>(ids, l[0], y, 7, 4, 2.0);
            return y;
        }));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RmsNorm(bool gemma)
    {
        const float eps = 1e-6f;
        var x = P("x", 1, 3, 8);
        var w = P("w", 2, 8);
        GradCheck.Check(t => t.RmsNorm(x, w, eps, gemma), [x, w]);
        Report(gemma ? "RmsNorm (Gemma 1 + w)" : "RmsNorm (Llama)", GradCheck.CheckTwin(t => t.RmsNorm(x, w, eps, gemma), [x, w], l =>
        {
            var y = new double[24];
            RmsNormReference.Forward<double>(l[0], l[1], y, default, 3, 8, eps, gemma);
            return y;
        }));
    }

    [Fact]
    public void Rope()
    {
        int tokens = 5, heads = 2, hs = 8;
        int[] positions = [0, 1, 2, 7, 3];
        var x = P("x", 1, tokens, heads * hs);
        var inv = TuneSharp.Tensors.Kernels.Rope.InverseFrequencies(hs, 10000.0);
        using var table = new RopeTable(positions, inv);
        GradCheck.Check(t => t.Rope(x, table, heads), [x]);
        // The op's cos/sin table is float32 (angle p·inv rounded to float, then MathF.Cos/Sin); the twin evaluates
        // the angles in double from the same float inverse frequencies. The two rotations differ by ≲ 1 float ulp of
        // the angle, which the forward check allows and which moves the gradient by < 1e-6·|dy|.
        var invD = Widening.ToDouble(inv);
        Report("Rope", GradCheck.CheckTwin(t => t.Rope(x, table, heads), [x], l =>
        {
            var y = new double[tokens * heads * hs];
            RopeReference.Forward<double>(l[0], positions, invD, y, heads, hs);
            return y;
        }));
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
        // Batch 0 masks key 0, so with causal its query 0 sees nothing: a fully masked row (output 0, no gradient).
        byte[] mask = padding ? [0, 1, 1, 1, 1, 1, 1, 1, 1, 0] : [];
        GradCheck.Check(tp => tp.Attention(q, k, v, shape, mask), [q, k, v]);
        // The reference reads the same AttentionShape (scale 1/√hs as float, GQA head h → h / (nh/nkv), window,
        // softcap) and key mask, so it is the same function by construction; the forward check confirms it.
        Report($"Attention causal={causal} window={window} softcap={softCap} padding={padding}",
            GradCheck.CheckTwin(tp => tp.Attention(q, k, v, shape, mask), [q, k, v], l =>
            {
                var o = new double[b * t * nh * hs];
                AttentionReference.Forward<double>(shape, l[0], l[1], l[2], mask, o, default);
                return o;
            }));
    }

    [Fact]
    public void SwiGlu()
    {
        var g = P("gate", 1, 3, 6);
        var u = P("up", 2, 3, 6);
        GradCheck.Check(t => t.SwiGlu(g, u), [g, u]);
        Report("SwiGlu", GradCheck.CheckTwin(t => t.SwiGlu(g, u), [g, u], l =>
        {
            var h = new double[18];
            ActivationsReference.SwiGlu<double>(l[0], l[1], h);
            return h;
        }));
    }

    [Fact]
    public void GeGlu()
    {
        var g = GradCheck.Param("gate", 1, 2f, 3, 6);
        var u = P("up", 2, 3, 6);
        GradCheck.Check(t => t.GeGlu(g, u), [g, u]);
        // The double GELU uses the exact √(2/π) and 0.044715 where the kernel rounds them to float: a ~1e-8 relative
        // difference in the function, far inside both bounds.
        Report("GeGlu", GradCheck.CheckTwin(t => t.GeGlu(g, u), [g, u], l =>
        {
            var h = new double[18];
            ActivationsReference.GeGlu<double>(l[0], l[1], h);
            return h;
        }));
    }

    [Fact]
    public void SiluGeluTanhSoftmax()
    {
        var x = GradCheck.Param("x", 1, 2f, 3, 7);
        GradCheck.Check(t => t.Silu(x), [x]);
        GradCheck.Check(t => t.GeluTanh(x), [x]);
        GradCheck.Check(t => t.Softmax(t.Scale(x, 1.5f)), [x]);
        Report("Silu", GradCheck.CheckTwin(t => t.Silu(x), [x], l =>
        {
            var y = new double[21];
            ActivationsReference.Silu<double>(l[0], y);
            return y;
        }));
        Report("GeluTanh", GradCheck.CheckTwin(t => t.GeluTanh(x), [x], l =>
        {
            var y = new double[21];
            ActivationsReference.GeluTanh<double>(l[0], y);
            return y;
        }));
        Report("Softmax(1.5·x)", GradCheck.CheckTwin(t => t.Softmax(t.Scale(x, 1.5f)), [x], l =>
        {
            double[] z = new double[21], y = new double[21];
            ElementwiseReference.Scale<double>(l[0], 1.5, z);
            SoftmaxReference.Forward<double>(z, y, 3, 7);
            return y;
        }));
    }

    [Fact]
    public void Dropout_Gradient()
    {
        const float p = 0.25f;
        const ulong tapeSeed = 7;
        var x = P("x", 1, 4, 16);
        GradCheck.Check(t => t.Dropout(x, p), [x], tapeSeed: tapeSeed);
        // CheckTwin gives every forward a fresh Tape(tapeSeed) whose first random stream is 0, so the op's mask is
        // m[i] = (U(Key(tapeSeed, 0), i) ≥ p) — the draw Dropout_MaskIsTheCounterRngDraw pins down. The twin applies
        // that mask with the op's float scale 1/(1 − p); the forward check proves the masks agree element by element.
        ulong key = CounterRng.Key(tapeSeed, 0);
        var keep = Enumerable.Range(0, 64).Select(i => CounterRng.Uniform((uint)i, key) >= p).ToArray();
        Assert.Contains(false, keep);
        double scale = 1f / (1f - p);
        Report("Dropout", GradCheck.CheckTwin(t => t.Dropout(x, p), [x], l =>
        {
            var y = new double[64];
            for (int i = 0; i < y.Length; i++) y[i] = keep[i] ? l[0][i] * scale : 0;
            return y;
        }, tapeSeed: tapeSeed));
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
    [InlineData(false, 0f, 0)]
    [InlineData(true, 0f, 0)]
    [InlineData(true, 3f, 0)]
    [InlineData(false, 3f, 12)]
    public void LmHeadCrossEntropy(bool trainableHead, float softCap, int tokenCount)
    {
        int n = 6, c = 5, vocab = 11;
        var h = P("hidden", 1, n, c);
        var w = Variable.Parameter(Tensor.FromArray(GradCheck.Random(vocab * c, 2, 1f), vocab, c), trainableHead, "lm_head");
        int[] labels = [3, -100, 10, 0, -100, 7];
        int? divisor = tokenCount > 0 ? tokenCount : null;
        Variable[] wrt = trainableHead ? [h, w] : [h];
        GradCheck.Check(t => t.LmHeadCrossEntropy(h, w, labels, softCap, divisor), wrt);
        var wd = Widening.ToDouble(w.Value.ToFloatArray());
        // Loss = Σ token losses over labels ≠ −100 / (tokenCount ?? counted tokens), as the op computes it.
        Report($"LmHeadCrossEntropy trainableHead={trainableHead} softcap={softCap} tokenCount={divisor?.ToString() ?? "counted"}",
            GradCheck.CheckTwin(t => t.LmHeadCrossEntropy(h, w, labels, softCap, divisor), wrt, l =>
            {
                var (sum, count) = LmHeadCrossEntropyReference.ForwardBackward<double>(l[0], trainableHead ? l[1] : wd, labels,
                    n, c, vocab, 1.0, softCap, default, default);
                Assert.Equal(4, count);
                return [sum / (divisor ?? count)];
            }));
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
        NumericAssert.Close(gMean.Select(g => g * 3 / 12).ToArray(), h.Grad!.ToFloatArray(), 1e-6, 1e-8, "dhidden");
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
