// Gemm (packed kernel, dot-product path, threading) against the scalar twin GemmReference, all forms × weight types.
using TuneSharp.Tensors.Kernels;
using TuneSharp.Tensors.Kernels.Reference;
using TuneSharp.Tensors.Threading;
using TuneSharp.Testing;

namespace TuneSharp.Tensors.Tests;

[Collection(GemmCollection.Name)]
public sealed class GemmTests
{
    public enum Form { TransB, MatMul, TransA }

    public enum WeightType { F32, BF16, F16 }

    // Shapes chosen around the kernel's boundaries: tile 12 × 32, dots path (m or n ≤ 8), KC = 768 (k split into
    // equal 64-aligned blocks), MC = 96, NC = 1024, 64-aligned column splits, the parallel threshold (2e6 FLOPs)
    // — plus the degenerate 0 and 1. Three threads give uneven splits.
    private static readonly (int M, int N, int K)[] Shapes =
    [
        (0, 0, 0), (0, 5, 3), (5, 0, 3), (5, 3, 0), (1, 1, 1), (1, 1, 0), (2, 3, 1), (3, 1, 2),
        (1, 17, 33), (1, 64, 100), (7, 9, 13), (8, 8, 8), (9, 8, 31), (8, 9, 31), (8, 100, 70),
        (11, 31, 5), (12, 32, 16), (13, 33, 17), (24, 64, 64), (25, 65, 63), (23, 31, 129),
        (12, 96, 255), (13, 40, 256), (14, 50, 257), (36, 7, 513), (100, 2, 300), (3, 130, 300),
        (191, 33, 20), (192, 31, 21), (193, 65, 17), (61, 129, 257), (193, 97, 257), (130, 257, 70),
        (20, 300, 300), (400, 9, 600), (95, 40, 33), (97, 33, 40), (14, 40, 769), (30, 70, 1600),
        (13, 1100, 20), (97, 1090, 70),
        // Parallel calls whose packing-cost model picks a column split (32- or 64-aligned parts, ragged last part).
        (30, 1000, 200), (40, 333, 700), (50, 200, 1300),
    ];

    private static readonly int[] ThreadCounts = [1, 2, 3];

    [Theory]
    [InlineData(Form.TransB, WeightType.F32)]
    [InlineData(Form.TransB, WeightType.BF16)]
    [InlineData(Form.TransB, WeightType.F16)]
    [InlineData(Form.MatMul, WeightType.F32)]
    [InlineData(Form.MatMul, WeightType.BF16)]
    [InlineData(Form.MatMul, WeightType.F16)]
    [InlineData(Form.TransA, WeightType.F32)]
    public void MatchesReferenceOnBoundaryShapes(Form form, WeightType type)
    {
        var rng = new Random(1234 + (int)form * 10 + (int)type);
        foreach (var (m, n, k) in Shapes)
            foreach (int threads in ThreadCounts)
                foreach (bool accumulate in new[] { false, true })
                    Check(form, type, m, n, k, accumulate, threads, rng);
    }

    [Fact]
    public void RandomSweep()
    {
        var rng = new Random(42);
        for (int t = 0; t < 60; t++)
        {
            int m = Dim(rng), n = Dim(rng), k = Dim(rng);
            var form = (Form)rng.Next(3);
            var type = form == Form.TransA ? WeightType.F32 : (WeightType)rng.Next(3);
            Check(form, type, m, n, k, rng.Next(2) == 1, rng.Next(1, 3), rng);
        }
    }

    [Fact]
    public void Vector256KernelMatchesReference()
    {
        bool saved = Gemm.UseVector512;
        try
        {
            Gemm.UseVector512 = false;
            var rng = new Random(7);
            foreach (var (m, n, k) in new[] { (13, 33, 17), (25, 65, 300), (193, 97, 257) })
                foreach (var form in new[] { Form.TransB, Form.MatMul, Form.TransA })
                    Check(form, WeightType.F32, m, n, k, accumulate: true, threads: 2, rng);
        }
        finally
        {
            Gemm.UseVector512 = saved;
        }
    }

    [Fact]
    public void F16WideningIsExactForEveryBitPattern()
    {
        var halves = new Half[65536];
        for (int i = 0; i < halves.Length; i++) halves[i] = BitConverter.UInt16BitsToHalf((ushort)i);
        var got = new float[halves.Length];
        unsafe
        {
            fixed (Half* h = halves)
            fixed (float* g = got)
                new GemmF16Weights(h, 1, halves.Length).WidenRow(0, 0, halves.Length, g);
        }
        for (int i = 0; i < halves.Length; i++)
        {
            float expected = (float)halves[i];
            bool same = float.IsNaN(expected) ? float.IsNaN(got[i]) : BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(got[i]);
            Assert.True(same, $"half 0x{i:X4}: expected {expected:R}, got {got[i]:R}");
        }
    }

    [Fact]
    public void BadLengthsThrowNamingTheOperand()
    {
        var e = Assert.Throws<ArgumentException>(() => Gemm.MatMulTransB(new float[5], new float[6], new float[6], 2, 2, 3));
        Assert.Contains("x", e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.MatMul(new float[4], new float[4], new float[4], -1, 2, 2));
        e = Assert.Throws<ArgumentException>(() => Gemm.MatMulTransA(new float[4], new float[4], new float[3], 2, 2, 2));
        Assert.Equal("dw", e.ParamName);
    }

    // Mostly small, sometimes past the tile/block boundaries.
    private static int Dim(Random rng) => rng.Next(4) switch
    {
        0 => rng.Next(0, 10),
        1 => rng.Next(10, 40),
        2 => rng.Next(40, 140),
        _ => rng.Next(140, 300),
    };

    private static void Check(Form form, WeightType type, int m, int n, int k, bool accumulate, int threads, Random rng)
    {
        // Operand shapes per form (dimensions always (m, n, k)).
        var (aLen, bLen, cLen) = form switch
        {
            Form.TransB => (m * k, n * k, m * n),
            Form.MatMul => (m * n, n * k, m * k),
            _ => (m * n, m * k, n * k),
        };
        var a = Fill(rng, aLen);
        var b = Fill(rng, bLen);
        var init = Fill(rng, cLen);
        // Round the weight to its storage type first, so the reference sees exactly the widened values.
        var bf = new BFloat16[bLen];
        var hf = new Half[bLen];
        for (int i = 0; i < bLen; i++)
        {
            if (type == WeightType.BF16) { bf[i] = (BFloat16)b[i]; b[i] = (float)bf[i]; }
            if (type == WeightType.F16) { hf[i] = (Half)b[i]; b[i] = (float)hf[i]; }
        }
        var expected = (float[])init.Clone();
        var actual = (float[])init.Clone();
        int saved = KernelPool.Threads;
        try
        {
            KernelPool.Threads = threads;
            switch (form)
            {
                case Form.TransB:
                    GemmReference.MatMulTransB(a, b, expected, m, n, k, accumulate);
                    if (type == WeightType.F32) Gemm.MatMulTransB(a, b, actual, m, n, k, accumulate);
                    else if (type == WeightType.BF16) Gemm.MatMulTransB(a, bf, actual, m, n, k, accumulate);
                    else Gemm.MatMulTransB(a, hf, actual, m, n, k, accumulate);
                    break;
                case Form.MatMul:
                    GemmReference.MatMul(a, b, expected, m, n, k, accumulate);
                    if (type == WeightType.F32) Gemm.MatMul(a, b, actual, m, n, k, accumulate);
                    else if (type == WeightType.BF16) Gemm.MatMul(a, bf, actual, m, n, k, accumulate);
                    else Gemm.MatMul(a, hf, actual, m, n, k, accumulate);
                    break;
                default:
                    GemmReference.MatMulTransA(a, b, expected, m, n, k, accumulate);
                    Gemm.MatMulTransA(a, b, actual, m, n, k, accumulate);
                    break;
            }
        }
        finally
        {
            KernelPool.Threads = saved;
        }
        // The reduction length is n for dY·W and m for dYᵀ·X; the reference sums it sequentially and we sum it
        // in blocked/vector order, so both carry rounding error that grows with it. With inputs in [-1, 1] a sum
        // of r products has magnitude ~sqrt(r)/3 and the sequential rounding error grows ~r·2⁻²⁴·sqrt(r)/3; the
        // bounds below (STYLE's 1e-5 / 1e-6 scaled by sqrt(r/64) and r/16) sit ~10× above what we observe.
        int r = form switch { Form.TransB => k, Form.MatMul => n, _ => m };
        double rtol = Tolerances.MatMulRtol * Math.Max(1, Math.Sqrt(r / 64.0));
        double atol = Tolerances.MatMulAtol * Math.Max(1, r / 16.0);
        NumericAssert.Close(expected, actual, rtol, atol, $"{form} {type} (m,n,k)=({m},{n},{k}) acc={accumulate} threads={threads}");
    }

    private static float[] Fill(Random rng, int length)
    {
        var v = new float[length];
        for (int i = 0; i < length; i++) v[i] = (float)(rng.NextDouble() * 2 - 1);
        return v;
    }
}
