// Flash attention kernel vs its scalar twin (many shapes/masks), twin vs finite differences, and vs PyTorch HF-eager goldens.
using TuneSharp.Tensors.Kernels;
using TuneSharp.Tensors.Kernels.Reference;
using TuneSharp.Testing;
using static TuneSharp.Testing.Widening;

namespace TuneSharp.Tensors.Tests;

public sealed class AttentionTests
{
    // The twin runs in double; the fast kernel in float with FMA and online rescaling. Forward values match the fp32
    // matmul bound; gradients pass through the D = rowsum(dO ⊙ O) subtraction (cancellation), so they get the
    // reduction bound with atol scaled by 10 (values are O(1)).
    private const double GradAtol = 10 * Tolerances.MatMulAtol;

    public static TheoryData<int> Cases()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < 40; i++) data.Add(i);
        return data;
    }

    /// <summary>Deterministic case i: cycles through batch, lengths, GQA groups, head sizes and options.</summary>
    private static (AttentionShape Shape, byte[]? Mask) MakeCase(int i)
    {
        int[] ts = [1, 3, 7, 17, 33, 65, 70, 5, 64, 2];
        (int nh, int nkv)[] heads = [(4, 4), (4, 2), (6, 2), (3, 1)];
        int[] hss = [1, 7, 16, 33, 64];
        var rng = new Random(1000 + i);
        int b = 1 + i % 3, t = ts[i % ts.Length], hs = hss[i % hss.Length];
        var (nh, nkv) = heads[(i / 2) % heads.Length];
        int tq = t, tk = t, cap = t;
        int variant = i % 8;
        if (variant == 3 && t > 2) tq = 1 + rng.Next(Math.Min(t - 1, 4)); // decode-style Tq < Tk, default offset Tk − Tq
        if (variant == 5) cap = tk + 3;                                   // KV cache with spare capacity
        var shape = new AttentionShape(b, tq, tk, nh, nkv, hs)
        {
            SlidingWindow = variant is 1 or 6 ? 1 + rng.Next(Math.Max(1, t)) : 0,
            SoftCap = variant is 2 or 6 ? 2.5f : 0f,
            KvCapacity = cap,
            Scale = variant == 7 ? 0.3f : 1f / MathF.Sqrt(hs),
            Causal = i % 16 != 0, // bidirectional (encoder-style) every 16th case
        };
        byte[]? mask = null;
        if (variant is 4 or 6 or 7)
        {
            mask = new byte[b * tk];
            for (int bb = 0; bb < b; bb++)
            {
                int padding = rng.Next(Math.Max(1, tk / 2 + 1)); // left padding, sometimes the whole row for tk = 1
                for (int j = 0; j < tk; j++) mask[bb * tk + j] = (byte)(j < padding ? 0 : 1);
            }
        }
        return (shape, mask);
    }

    private static float[] Random(Random rng, long count, float scale = 1f)
    {
        var r = new float[count];
        for (int i = 0; i < r.Length; i++) r[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return r;
    }


    private static float[] ToFloat(double[] x) => Array.ConvertAll(x, f => (float)f);

    /// <summary>k/v buffers: rows ≥ Tk of a spare-capacity cache hold NaN, so reading them would poison the result.</summary>
    private static float[] KvBuffer(Random rng, in AttentionShape s)
    {
        var x = Random(rng, s.KvElements, 1.5f);
        for (int b = 0; b < s.Batch; b++)
            for (int j = s.KeyLength; j < s.KvCapacity; j++)
                for (int e = 0; e < s.KvHeads * s.HeadSize; e++) x[((b * s.KvCapacity + j) * s.KvHeads) * s.HeadSize + e] = float.NaN;
        return x;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardAndBackwardMatchTwin(int caseIndex)
    {
        var (s, mask) = MakeCase(caseIndex);
        var rng = new Random(caseIndex);
        var q = Random(rng, s.QueryElements, 1.5f);
        var k = KvBuffer(rng, s);
        var v = KvBuffer(rng, s);
        var dO = Random(rng, s.QueryElements);
        var o = new float[s.QueryElements];
        var lse = new float[s.LseElements];
        Attention.Forward(s, q, k, v, mask, o, lse);

        var oRef = new double[s.QueryElements];
        var lseRef = new double[s.LseElements];
        var kd = ToDouble(k);
        var vd = ToDouble(v);
        AttentionReference.Forward<double>(s, ToDouble(q), kd, vd, mask, oRef, lseRef);
        NumericAssert.Close(oRef, Array.ConvertAll(o, f => (double)f), Tolerances.MatMulRtol, Tolerances.MatMulAtol, $"o [{s}]");
        NumericAssert.Close(lseRef, Array.ConvertAll(lse, f => (double)f), Tolerances.MatMulRtol, Tolerances.MatMulAtol, $"lse [{s}]");

        var dq = new float[s.QueryElements];
        var dk = new float[s.KvElements];
        var dv = new float[s.KvElements];
        Attention.Backward(s, q, k, v, mask, o, lse, dO, dq, dk, dv);
        var dqRef = new double[s.QueryElements];
        var dkRef = new double[s.KvElements];
        var dvRef = new double[s.KvElements];
        AttentionReference.Backward<double>(s, ToDouble(q), kd, vd, mask, ToDouble(dO), dqRef, dkRef, dvRef);
        NumericAssert.Close(dqRef, ToDouble(dq), Tolerances.MatMulRtol, GradAtol, $"dq [{s}]");
        NumericAssert.Close(dkRef, ToDouble(dk), Tolerances.MatMulRtol, GradAtol, $"dk [{s}]");
        NumericAssert.Close(dvRef, ToDouble(dv), Tolerances.MatMulRtol, GradAtol, $"dv [{s}]");
    }

    [Fact]
    public void RowsWithoutVisibleKeysGiveZerosAndNegativeInfinityLse()
    {
        var s = new AttentionShape(1, 4, 4, 2, 1, 8);
        var rng = new Random(5);
        var q = Random(rng, s.QueryElements);
        var k = Random(rng, s.KvElements);
        var v = Random(rng, s.KvElements);
        byte[] mask = [0, 0, 1, 1]; // left padding: query rows 0 and 1 see nothing
        var o = new float[s.QueryElements];
        var lse = new float[s.LseElements];
        Attention.Forward(s, q, k, v, mask, o, lse);
        for (int e = 0; e < 2 * s.Heads * s.HeadSize; e++) Assert.Equal(0f, o[e]);
        Assert.True(float.IsNegativeInfinity(lse[0]) && float.IsNegativeInfinity(lse[1]));
        var dq = new float[s.QueryElements];
        var dk = new float[s.KvElements];
        var dv = new float[s.KvElements];
        Attention.Backward(s, q, k, v, mask, o, lse, Random(rng, s.QueryElements), dq, dk, dv);
        for (int e = 0; e < 2 * s.Heads * s.HeadSize; e++) Assert.Equal(0f, dq[e]);
        for (int e = 0; e < 2 * s.KvHeads * s.HeadSize; e++) { Assert.Equal(0f, dk[e]); Assert.Equal(0f, dv[e]); }
        Assert.All(dq, x => Assert.True(float.IsFinite(x)));
    }

    [Fact]
    public void DecodeStepsMatchFullForward()
    {
        // Running a prompt at once and then token by token against a growing cache gives the same rows.
        var full = new AttentionShape(1, 20, 20, 6, 2, 16) { SlidingWindow = 7 };
        var rng = new Random(11);
        var q = Random(rng, full.QueryElements);
        var k = Random(rng, full.KvElements);
        var v = Random(rng, full.KvElements);
        var o = new float[full.QueryElements];
        Attention.Forward(full, q, k, v, default, o, default);
        int row = full.Heads * full.HeadSize;
        for (int t = 1; t <= 20; t++)
        {
            var step = new AttentionShape(1, 1, t, 6, 2, 16) { SlidingWindow = 7, KvCapacity = 20 };
            var os = new float[row];
            Attention.Forward(step, q.AsSpan((t - 1) * row, row), k, v, default, os, default);
            NumericAssert.Close(o.AsSpan((t - 1) * row, row), os, Tolerances.MatMulRtol, Tolerances.MatMulAtol, $"decode step {t}");
        }
    }

    [Theory]
    [InlineData(1, 1, 0, false)]
    [InlineData(2, 2, 900, true)]
    [InlineData(1, 2, 0, true)]
    public void LongDecodeWithKeySplitsMatchesTwin(int batch, int tq, int window, bool padded)
    {
        // Tk ≥ 512 makes the decode path split the keys over workers and merge partial softmaxes.
        var s = new AttentionShape(batch, tq, 1300, 4, 1, 16) { SlidingWindow = window, KvCapacity = 1310, SoftCap = padded ? 3f : 0f };
        var rng = new Random(tq * 10 + batch);
        var q = Random(rng, s.QueryElements, 1.5f);
        var k = KvBuffer(rng, s);
        var v = KvBuffer(rng, s);
        byte[]? mask = null;
        if (padded)
        {
            mask = new byte[batch * s.KvCapacity]; // (B, KvCapacity) layout, as a cache-side mask
            for (int b = 0; b < batch; b++)
                for (int j = 0; j < s.KvCapacity; j++) mask[b * s.KvCapacity + j] = (byte)(j >= 37 * b + 5 ? 1 : 0);
        }
        var o = new float[s.QueryElements];
        var lse = new float[s.LseElements];
        Attention.Forward(s, q, k, v, mask, o, lse);
        var oRef = new double[s.QueryElements];
        var lseRef = new double[s.LseElements];
        AttentionReference.Forward<double>(s, ToDouble(q), ToDouble(k), ToDouble(v), mask, oRef, lseRef);
        NumericAssert.Close(oRef, ToDouble(o), Tolerances.MatMulRtol, Tolerances.MatMulAtol, $"o [{s}]");
        NumericAssert.Close(lseRef, ToDouble(lse), Tolerances.MatMulRtol, Tolerances.MatMulAtol, $"lse [{s}]");
    }

    public static TheoryData<string> FdCases() => ["plain", "window", "softcap", "padding", "decode"];

    [Theory]
    [MemberData(nameof(FdCases))]
    public void TwinGradientsMatchFiniteDifferences(string kind)
    {
        var s = kind switch
        {
            "window" => new AttentionShape(1, 6, 6, 4, 2, 3) { SlidingWindow = 3 },
            "softcap" => new AttentionShape(2, 5, 5, 2, 1, 4) { SoftCap = 1.5f, Scale = 0.8f },
            "padding" => new AttentionShape(2, 5, 5, 3, 1, 3),
            "decode" => new AttentionShape(1, 2, 7, 2, 2, 3) { KvCapacity = 9 },
            _ => new AttentionShape(1, 5, 5, 2, 2, 4),
        };
        byte[]? mask = kind == "padding" ? [0, 0, 1, 1, 1, 0, 1, 1, 1, 1] : null;
        var rng = new Random(kind.Length);
        var q = ToDouble(Random(rng, s.QueryElements));
        var k = ToDouble(Random(rng, s.KvElements));
        var v = ToDouble(Random(rng, s.KvElements));
        var r = ToDouble(Random(rng, s.QueryElements)); // loss = Σ o ⊙ r, so dO = r
        var dq = new double[q.Length];
        var dk = new double[k.Length];
        var dv = new double[v.Length];
        AttentionReference.Backward<double>(s, q, k, v, mask, r, dq, dk, dv);

        double Loss()
        {
            var o = new double[s.QueryElements];
            AttentionReference.Forward<double>(s, q, k, v, mask, o, default);
            double sum = 0;
            for (int i = 0; i < o.Length; i++) sum += o[i] * r[i];
            return sum;
        }
        foreach (var (x, g, name) in new[] { (q, dq, "dq"), (k, dk, "dk"), (v, dv, "dv") })
        {
            var numeric = ElementwiseTestData.NumericGrad(x, Loss, h: 1e-6);
            NumericAssert.GradClose(numeric, g, $"{kind} {name}");
        }

        // And the fast kernel agrees with the checked twin on the same case.
        var of = new float[s.QueryElements];
        var lse = new float[s.LseElements];
        Attention.Forward(s, ToFloat(q), ToFloat(k), ToFloat(v), mask, of, lse);
        var dqf = new float[q.Length];
        var dkf = new float[k.Length];
        var dvf = new float[v.Length];
        Attention.Backward(s, ToFloat(q), ToFloat(k), ToFloat(v), mask, of, lse, ToFloat(r), dqf, dkf, dvf);
        NumericAssert.Close(dq, ToDouble(dqf), Tolerances.MatMulRtol, GradAtol, $"{kind} fast dq");
        NumericAssert.Close(dk, ToDouble(dkf), Tolerances.MatMulRtol, GradAtol, $"{kind} fast dk");
        NumericAssert.Close(dv, ToDouble(dvf), Tolerances.MatMulRtol, GradAtol, $"{kind} fast dv");
    }

    public static TheoryData<string> Goldens()
    {
        var data = new TheoryData<string>();
        foreach (var f in GoldenFixture.LoadAll("ops", "attention_")) data.Add(Path.GetFileName(f.Path));
        return data;
    }

    [Theory]
    [MemberData(nameof(Goldens))]
    public void MatchesPyTorchEagerAttention(string file)
    {
        var f = GoldenFixture.Load("ops/" + file);
        var s = new AttentionShape(f.Int("B"), f.Int("Tq"), f.Int("Tk"), f.Int("nh"), f.Int("nkv"), f.Int("hs"))
        {
            Scale = (float)f.Double("scale"),
            SoftCap = (float)f.Double("softcap"),
            SlidingWindow = f.Int("window"),
            QueryOffset = f.Int("offset"),
        };
        byte[]? mask = f.Has("mask") ? Array.ConvertAll(f["mask"].AsInts(), m => (byte)m) : null;
        var q = f["q"].AsFloats();
        var k = f["k"].AsFloats();
        var v = f["v"].AsFloats();
        var o = new float[s.QueryElements];
        var lse = new float[s.LseElements];
        Attention.Forward(s, q, k, v, mask, o, lse);
        NumericAssert.Close(f["out"].AsFloats(), o, Tolerances.TorchForwardRtol, Tolerances.TorchForwardAtol, $"{file} out");
        var dq = new float[s.QueryElements];
        var dk = new float[s.KvElements];
        var dv = new float[s.KvElements];
        Attention.Backward(s, q, k, v, mask, o, lse, f["dout"].AsFloats(), dq, dk, dv);
        NumericAssert.Close(f["grad_q"].AsFloats(), dq, Tolerances.TorchGradRtol, Tolerances.TorchGradAtol, $"{file} grad_q");
        NumericAssert.Close(f["grad_k"].AsFloats(), dk, Tolerances.TorchGradRtol, Tolerances.TorchGradAtol, $"{file} grad_k");
        NumericAssert.Close(f["grad_v"].AsFloats(), dv, Tolerances.TorchGradRtol, Tolerances.TorchGradAtol, $"{file} grad_v");
    }

    [Fact]
    public void BadInputsThrowNamingTheField()
    {
        var bad = new AttentionShape(1, 4, 4, 4, 3, 8);
        var ex = Assert.Throws<ArgumentException>(() => Attention.Forward(bad, new float[128], new float[96], new float[96], default, new float[128], default));
        Assert.Contains("KvHeads", ex.Message);
        var s = new AttentionShape(1, 4, 4, 4, 2, 8);
        ex = Assert.Throws<ArgumentException>(() => Attention.Forward(s, new float[127], new float[64], new float[64], default, new float[128], default));
        Assert.Contains("q has 127", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => Attention.Forward(s, new float[128], new float[64], new float[64], new byte[3], new float[128], default));
        Assert.Contains("keyMask", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => Attention.Forward(s with { KvCapacity = 3 }, new float[128], new float[64], new float[64], default, new float[128], default));
        Assert.Contains("KvCapacity", ex.Message);
    }
}
