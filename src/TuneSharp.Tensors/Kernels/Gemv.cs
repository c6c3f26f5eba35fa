// Matrix-vector products y = x·Wᵀ for a few rows of x (decode steps) with BF16 weights streamed once at full bandwidth.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using TuneSharp.Tensors.Threading;

namespace TuneSharp.Tensors.Kernels;

/// <summary>
/// Decode is bound by reading the weights: the packing GEMM re-lays every weight panel out, which costs more than
/// the arithmetic when m is 1–8. Here each weight row is read once, widened in registers (BF16 → F32 is a 16-bit
/// shift) and multiplied into up to four x rows at a time (more rows re-read the row from L1). Output rows are
/// split statically over the kernel pool. Reference twin: <see cref="Reference.GemvReference"/>.
/// </summary>
public static unsafe class Gemv
{
    /// <summary>Largest m this kernel is meant for (callers use Gemm above it).</summary>
    public const int MaxRows = 8;

    /// <summary>
    /// Below this many weight elements (8 MB of BF16) one thread does the whole product. One core already streams
    /// close to the copy bandwidth, while a decode step makes ~7 calls per layer: a fork/join per call costs more than
    /// it saves once the machine is shared (measured: 2 threads per call were 10× slower than 1 on a loaded 2-core
    /// box). Only large matrices (the LM head) are split.
    /// </summary>
    private const long ParallelThreshold = 1 << 22;

    /// <summary>y (m, n) (+)= x (m, k) · wᵀ, w (n, k) BF16, m ≤ <see cref="MaxRows"/>.</summary>
    public static void MatMulTransB(ReadOnlySpan<float> x, ReadOnlySpan<BFloat16> w, Span<float> y, int m, int n, int k, bool accumulate = false)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentException($"Gemv.MatMulTransB: negative size m={m} n={n} k={k}");
        if (m > MaxRows) throw new ArgumentException($"Gemv.MatMulTransB: m = {m} > {MaxRows}; use Gemm");
        if (x.Length != (long)m * k) throw new ArgumentException($"Gemv.MatMulTransB: x has {x.Length} values, expected m·k = {(long)m * k}");
        if (w.Length != (long)n * k) throw new ArgumentException($"Gemv.MatMulTransB: w has {w.Length} values, expected n·k = {(long)n * k}");
        if (y.Length != (long)m * n) throw new ArgumentException($"Gemv.MatMulTransB: y has {y.Length} values, expected m·n = {(long)m * n}");
        if (m == 0 || n == 0) return;
        fixed (float* px = x, py = y)
        fixed (BFloat16* pw = w)
        {
            nint xa = (nint)px, wa = (nint)pw, ya = (nint)py;
            if ((long)n * k < ParallelThreshold) Rows((float*)xa, (ushort*)wa, (float*)ya, m, n, k, 0, n, accumulate);
            else KernelPool.For(n, (begin, end) => Rows((float*)xa, (ushort*)wa, (float*)ya, m, n, k, begin, end, accumulate));
        }
    }

    private static void Rows(float* x, ushort* w, float* y, int m, int n, int k, int begin, int end, bool accumulate)
    {
        Span<float> dots = stackalloc float[4];
        for (int r = begin; r < end; r++)
        {
            ushort* wr = w + (long)r * k;
            for (int g = 0; g < m; g += 4)
            {
                int rows = Math.Min(4, m - g);
                float* x0 = x + (long)g * k;
                if (Vector512.IsHardwareAccelerated) Dot512(wr, x0, k, rows, dots);
                else Dot256(wr, x0, k, rows, dots);
                for (int j = 0; j < rows; j++)
                {
                    float* yp = y + (long)(g + j) * n + r;
                    *yp = accumulate ? *yp + dots[j] : dots[j];
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dot512(ushort* wr, float* x0, int k, int rows, Span<float> dots)
    {
        var a0 = Vector512<float>.Zero; var a1 = a0; var a2 = a0; var a3 = a0;
        int i = 0;
        for (; i + 32 <= k; i += 32)
        {
            var h = Vector512.Load(wr + i);
            var lo = Vector512.ShiftLeft(Vector512.WidenLower(h), 16).AsSingle();
            var hi = Vector512.ShiftLeft(Vector512.WidenUpper(h), 16).AsSingle();
            float* xp = x0 + i;
            a0 = Vector512.FusedMultiplyAdd(lo, Vector512.Load(xp), a0);
            a0 = Vector512.FusedMultiplyAdd(hi, Vector512.Load(xp + 16), a0);
            if (rows > 1)
            {
                a1 = Vector512.FusedMultiplyAdd(lo, Vector512.Load(xp + k), a1);
                a1 = Vector512.FusedMultiplyAdd(hi, Vector512.Load(xp + k + 16), a1);
                if (rows > 2)
                {
                    a2 = Vector512.FusedMultiplyAdd(lo, Vector512.Load(xp + 2 * k), a2);
                    a2 = Vector512.FusedMultiplyAdd(hi, Vector512.Load(xp + 2 * k + 16), a2);
                    if (rows > 3)
                    {
                        a3 = Vector512.FusedMultiplyAdd(lo, Vector512.Load(xp + 3 * k), a3);
                        a3 = Vector512.FusedMultiplyAdd(hi, Vector512.Load(xp + 3 * k + 16), a3);
                    }
                }
            }
        }
        dots[0] = Vector512.Sum(a0);
        dots[1] = Vector512.Sum(a1);
        dots[2] = Vector512.Sum(a2);
        dots[3] = Vector512.Sum(a3);
        Tail(wr, x0, k, rows, i, dots);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dot256(ushort* wr, float* x0, int k, int rows, Span<float> dots)
    {
        var a0 = Vector256<float>.Zero; var a1 = a0; var a2 = a0; var a3 = a0;
        int i = 0;
        for (; i + 16 <= k; i += 16)
        {
            var h = Vector256.Load(wr + i);
            var lo = Vector256.ShiftLeft(Vector256.WidenLower(h), 16).AsSingle();
            var hi = Vector256.ShiftLeft(Vector256.WidenUpper(h), 16).AsSingle();
            float* xp = x0 + i;
            a0 = Vector256.FusedMultiplyAdd(lo, Vector256.Load(xp), a0);
            a0 = Vector256.FusedMultiplyAdd(hi, Vector256.Load(xp + 8), a0);
            if (rows > 1)
            {
                a1 = Vector256.FusedMultiplyAdd(lo, Vector256.Load(xp + k), a1);
                a1 = Vector256.FusedMultiplyAdd(hi, Vector256.Load(xp + k + 8), a1);
                if (rows > 2)
                {
                    a2 = Vector256.FusedMultiplyAdd(lo, Vector256.Load(xp + 2 * k), a2);
                    a2 = Vector256.FusedMultiplyAdd(hi, Vector256.Load(xp + 2 * k + 8), a2);
                    if (rows > 3)
                    {
                        a3 = Vector256.FusedMultiplyAdd(lo, Vector256.Load(xp + 3 * k), a3);
                        a3 = Vector256.FusedMultiplyAdd(hi, Vector256.Load(xp + 3 * k + 8), a3);
                    }
                }
            }
        }
        dots[0] = Vector256.Sum(a0);
        dots[1] = Vector256.Sum(a1);
        dots[2] = Vector256.Sum(a2);
        dots[3] = Vector256.Sum(a3);
        Tail(wr, x0, k, rows, i, dots);
    }

    private static void Tail(ushort* wr, float* x0, int k, int rows, int i, Span<float> dots)
    {
        for (; i < k; i++)
        {
            float wv = BitConverter.Int32BitsToSingle(wr[i] << 16);
            for (int j = 0; j < rows; j++) dots[j] += wv * x0[(long)j * k + i];
        }
    }
}
