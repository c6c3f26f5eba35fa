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

    /// <summary>
    /// With several x rows (batched decode) the product is bound by arithmetic, not by reading the weights, so it is
    /// split once it has this many multiply-adds (m·n·k): a decode step of 8 sequences then uses every core for the
    /// attention and MLP projections (measured in <c>bench generate</c>, batch 8).
    /// </summary>
    private const long ParallelMacsThreshold = 1 << 21;

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
            bool serial = m == 1 ? (long)n * k < ParallelThreshold : (long)m * n * k < ParallelMacsThreshold;
            if (serial) Rows((float*)xa, (ushort*)wa, (float*)ya, m, n, k, 0, n, accumulate);
            else KernelPool.For(n, (begin, end) => Rows((float*)xa, (ushort*)wa, (float*)ya, m, n, k, begin, end, accumulate));
        }
    }

    private static void Rows(float* x, ushort* w, float* y, int m, int n, int k, int begin, int end, bool accumulate)
    {
        Span<float> dots = stackalloc float[8];
        int r = begin;
        // m > 1: two weight rows per pass, so each x vector loaded feeds two independent accumulators and the two rows'
        // chains hide the FMA latency. m = 1 streams one row at a time: it is bound by reading the weights, and one
        // sequential stream keeps the hardware prefetcher ahead.
        for (; m > 1 && r + 2 <= end; r += 2)
        {
            ushort* w0 = w + (long)r * k;
            for (int g = 0; g < m; g += 4)
            {
                int rows = Math.Min(4, m - g);
                float* x0 = x + (long)g * k;
                if (Vector512.IsHardwareAccelerated) Dot512Pair(w0, w0 + k, x0, k, rows, dots);
                else
                {
                    Dot256(w0, x0, k, rows, dots);
                    Dot256(w0 + k, x0, k, rows, dots.Slice(4));
                }
                Store(y, n, r, g, rows, dots, accumulate);
                Store(y, n, r + 1, g, rows, dots.Slice(4), accumulate);
            }
        }
        for (; r < end; r++)
        {
            ushort* wr = w + (long)r * k;
            for (int g = 0; g < m; g += 4)
            {
                int rows = Math.Min(4, m - g);
                float* x0 = x + (long)g * k;
                if (Vector512.IsHardwareAccelerated) Dot512(wr, x0, k, rows, dots);
                else Dot256(wr, x0, k, rows, dots);
                Store(y, n, r, g, rows, dots, accumulate);
            }
        }
    }

    /// <summary>y[g + j, r] (+)= dots[j] for the <paramref name="rows"/> x rows of group g.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* y, int n, int r, int g, int rows, Span<float> dots, bool accumulate)
    {
        for (int j = 0; j < rows; j++)
        {
            float* yp = y + (long)(g + j) * n + r;
            *yp = accumulate ? *yp + dots[j] : dots[j];
        }
    }

    /// <summary>dots[j] = w0 · x_j and dots[4 + j] = w1 · x_j for j &lt; rows (≤ 4): two weight rows, one pass over x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dot512Pair(ushort* w0, ushort* w1, float* x0, int k, int rows, Span<float> dots)
    {
        var a0 = Vector512<float>.Zero; var a1 = a0; var a2 = a0; var a3 = a0;
        var b0 = a0; var b1 = a0; var b2 = a0; var b3 = a0;
        int i = 0;
        for (; i + 32 <= k; i += 32)
        {
            var h0 = Vector512.Load(w0 + i);
            var h1 = Vector512.Load(w1 + i);
            var lo0 = Vector512.ShiftLeft(Vector512.WidenLower(h0), 16).AsSingle();
            var hi0 = Vector512.ShiftLeft(Vector512.WidenUpper(h0), 16).AsSingle();
            var lo1 = Vector512.ShiftLeft(Vector512.WidenLower(h1), 16).AsSingle();
            var hi1 = Vector512.ShiftLeft(Vector512.WidenUpper(h1), 16).AsSingle();
            float* xp = x0 + i;
            var xl = Vector512.Load(xp);
            var xh = Vector512.Load(xp + 16);
            a0 = Vector512.FusedMultiplyAdd(lo0, xl, a0);
            b0 = Vector512.FusedMultiplyAdd(lo1, xl, b0);
            a0 = Vector512.FusedMultiplyAdd(hi0, xh, a0);
            b0 = Vector512.FusedMultiplyAdd(hi1, xh, b0);
            if (rows > 1)
            {
                xl = Vector512.Load(xp + k);
                xh = Vector512.Load(xp + k + 16);
                a1 = Vector512.FusedMultiplyAdd(lo0, xl, a1);
                b1 = Vector512.FusedMultiplyAdd(lo1, xl, b1);
                a1 = Vector512.FusedMultiplyAdd(hi0, xh, a1);
                b1 = Vector512.FusedMultiplyAdd(hi1, xh, b1);
                if (rows > 2)
                {
                    xl = Vector512.Load(xp + 2 * k);
                    xh = Vector512.Load(xp + 2 * k + 16);
                    a2 = Vector512.FusedMultiplyAdd(lo0, xl, a2);
                    b2 = Vector512.FusedMultiplyAdd(lo1, xl, b2);
                    a2 = Vector512.FusedMultiplyAdd(hi0, xh, a2);
                    b2 = Vector512.FusedMultiplyAdd(hi1, xh, b2);
                    if (rows > 3)
                    {
                        xl = Vector512.Load(xp + 3 * k);
                        xh = Vector512.Load(xp + 3 * k + 16);
                        a3 = Vector512.FusedMultiplyAdd(lo0, xl, a3);
                        b3 = Vector512.FusedMultiplyAdd(lo1, xl, b3);
                        a3 = Vector512.FusedMultiplyAdd(hi0, xh, a3);
                        b3 = Vector512.FusedMultiplyAdd(hi1, xh, b3);
                    }
                }
            }
        }
        dots[0] = Vector512.Sum(a0);
        dots[1] = Vector512.Sum(a1);
        dots[2] = Vector512.Sum(a2);
        dots[3] = Vector512.Sum(a3);
        dots[4] = Vector512.Sum(b0);
        dots[5] = Vector512.Sum(b1);
        dots[6] = Vector512.Sum(b2);
        dots[7] = Vector512.Sum(b3);
        Tail(w0, x0, k, rows, i, dots);
        Tail(w1, x0, k, rows, i, dots.Slice(4));
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
