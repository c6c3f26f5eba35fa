// Register-tiled SIMD building blocks for the flash attention tiles: a 4-row × 64-column FMA micro-kernel, dot, axpy.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace TuneSharp.Tensors.Kernels;

/// <summary>
/// Every tile product in attention (S = Q·Kᵀ, O += P·V, dP = dO·Vᵀ, dV += Pᵀ·dO, dK += dSᵀ·Q, dQ = dS·K) has the
/// same form: rows c_r (+)= Σ_p a_r[p] · panel[p, :], with a_r contiguous along the reduction and the panel packed
/// row-major with a width that is a multiple of 16. Broadcasting a_r[p] against a packed panel row needs no
/// horizontal reductions, and 4 rows × 4 vectors keep 16 accumulators in registers (AVX-512 has 32).
/// </summary>
internal static unsafe class AttentionMicroKernels
{
    /// <summary>Lane group every packed width is padded to.</summary>
    public const int Lanes = 16;

    public static int PadToLanes(int n) => (n + Lanes - 1) / Lanes * Lanes;

    /// <summary>
    /// c[r, 0..width) += Σ_{p &lt; kred} a[r·aStride + p·aStep] · panel[p, 0..width) for r &lt; rows. c rows have stride
    /// cStride, panel rows ps; width % 16 == 0. aStep ≠ 1 reads a transposed (e.g. Pᵀ as columns of P) without copying:
    /// each a element is a scalar broadcast anyway. The missing rows of the last group of 4 re-read row 0 and write
    /// into trash (≥ width floats).
    /// </summary>
    public static void RowsTimesPanel(float* a, long aStride, int rows, int kred, float* panel, int ps, float* c, int cStride, int width, float* trash, long aStep = 1)
    {
        for (int r = 0; r < rows; r += 4)
        {
            float* a0 = a + r * aStride, c0 = c + (long)r * cStride;
            float* a1 = r + 1 < rows ? a0 + aStride : a0, c1 = r + 1 < rows ? c0 + cStride : trash;
            float* a2 = r + 2 < rows ? a0 + 2 * aStride : a0, c2 = r + 2 < rows ? c0 + 2 * cStride : trash;
            float* a3 = r + 3 < rows ? a0 + 3 * aStride : a0, c3 = r + 3 < rows ? c0 + 3 * cStride : trash;
            Mk4(a0, a1, a2, a3, aStep, kred, panel, ps, c0, c1, c2, c3, width);
        }
    }

    /// <summary>c_r[0..width) += Σ_p a_r[p·aStep] · panel[p, 0..width) for four rows.</summary>
    public static void Mk4(float* a0, float* a1, float* a2, float* a3, long aStep, int kred, float* panel, int ps,
        float* c0, float* c1, float* c2, float* c3, int width)
    {
        int col = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; col + 64 <= width; col += 64)
            {
                var c00 = Vector512.Load(c0 + col); var c01 = Vector512.Load(c0 + col + 16); var c02 = Vector512.Load(c0 + col + 32); var c03 = Vector512.Load(c0 + col + 48);
                var c10 = Vector512.Load(c1 + col); var c11 = Vector512.Load(c1 + col + 16); var c12 = Vector512.Load(c1 + col + 32); var c13 = Vector512.Load(c1 + col + 48);
                var c20 = Vector512.Load(c2 + col); var c21 = Vector512.Load(c2 + col + 16); var c22 = Vector512.Load(c2 + col + 32); var c23 = Vector512.Load(c2 + col + 48);
                var c30 = Vector512.Load(c3 + col); var c31 = Vector512.Load(c3 + col + 16); var c32 = Vector512.Load(c3 + col + 32); var c33 = Vector512.Load(c3 + col + 48);
                float* pp = panel + col;
                for (long p = 0, ap = 0; p < kred; p++, pp += ps, ap += aStep)
                {
                    var b0 = Vector512.Load(pp); var b1 = Vector512.Load(pp + 16); var b2 = Vector512.Load(pp + 32); var b3 = Vector512.Load(pp + 48);
                    var x = Vector512.Create(a0[ap]);
                    c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01); c02 = Vector512.FusedMultiplyAdd(x, b2, c02); c03 = Vector512.FusedMultiplyAdd(x, b3, c03);
                    x = Vector512.Create(a1[ap]);
                    c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11); c12 = Vector512.FusedMultiplyAdd(x, b2, c12); c13 = Vector512.FusedMultiplyAdd(x, b3, c13);
                    x = Vector512.Create(a2[ap]);
                    c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21); c22 = Vector512.FusedMultiplyAdd(x, b2, c22); c23 = Vector512.FusedMultiplyAdd(x, b3, c23);
                    x = Vector512.Create(a3[ap]);
                    c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31); c32 = Vector512.FusedMultiplyAdd(x, b2, c32); c33 = Vector512.FusedMultiplyAdd(x, b3, c33);
                }
                c00.Store(c0 + col); c01.Store(c0 + col + 16); c02.Store(c0 + col + 32); c03.Store(c0 + col + 48);
                c10.Store(c1 + col); c11.Store(c1 + col + 16); c12.Store(c1 + col + 32); c13.Store(c1 + col + 48);
                c20.Store(c2 + col); c21.Store(c2 + col + 16); c22.Store(c2 + col + 32); c23.Store(c2 + col + 48);
                c30.Store(c3 + col); c31.Store(c3 + col + 16); c32.Store(c3 + col + 32); c33.Store(c3 + col + 48);
            }
            for (; col < width; col += 16)
            {
                var c00 = Vector512.Load(c0 + col); var c10 = Vector512.Load(c1 + col);
                var c20 = Vector512.Load(c2 + col); var c30 = Vector512.Load(c3 + col);
                float* pp = panel + col;
                for (long p = 0, ap = 0; p < kred; p++, pp += ps, ap += aStep)
                {
                    var b0 = Vector512.Load(pp);
                    c00 = Vector512.FusedMultiplyAdd(Vector512.Create(a0[ap]), b0, c00);
                    c10 = Vector512.FusedMultiplyAdd(Vector512.Create(a1[ap]), b0, c10);
                    c20 = Vector512.FusedMultiplyAdd(Vector512.Create(a2[ap]), b0, c20);
                    c30 = Vector512.FusedMultiplyAdd(Vector512.Create(a3[ap]), b0, c30);
                }
                c00.Store(c0 + col); c10.Store(c1 + col); c20.Store(c2 + col); c30.Store(c3 + col);
            }
            return;
        }
        // AVX2 / NEON (Vector256 is emulated by two Vector128 on arm64): 4 rows × 16 columns = 8 accumulators.
        for (; col < width; col += 16)
        {
            var c00 = Vector256.Load(c0 + col); var c01 = Vector256.Load(c0 + col + 8);
            var c10 = Vector256.Load(c1 + col); var c11 = Vector256.Load(c1 + col + 8);
            var c20 = Vector256.Load(c2 + col); var c21 = Vector256.Load(c2 + col + 8);
            var c30 = Vector256.Load(c3 + col); var c31 = Vector256.Load(c3 + col + 8);
            float* pp = panel + col;
            for (long p = 0, ap = 0; p < kred; p++, pp += ps, ap += aStep)
            {
                var b0 = Vector256.Load(pp); var b1 = Vector256.Load(pp + 8);
                var x = Vector256.Create(a0[ap]);
                c00 = Vector256.FusedMultiplyAdd(x, b0, c00); c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
                x = Vector256.Create(a1[ap]);
                c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
                x = Vector256.Create(a2[ap]);
                c20 = Vector256.FusedMultiplyAdd(x, b0, c20); c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
                x = Vector256.Create(a3[ap]);
                c30 = Vector256.FusedMultiplyAdd(x, b0, c30); c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
            }
            c00.Store(c0 + col); c01.Store(c0 + col + 8); c10.Store(c1 + col); c11.Store(c1 + col + 8);
            c20.Store(c2 + col); c21.Store(c2 + col + 8); c30.Store(c3 + col); c31.Store(c3 + col + 8);
        }
    }

    /// <summary>Horizontal sum; Vector512.Sum is several times slower in .NET 10 (measured ~15 ns vs ~1 ns per call).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float HSum(Vector512<float> a)
    {
        var s8 = a.GetLower() + a.GetUpper();
        return Vector128.Sum(s8.GetLower() + s8.GetUpper());
    }

    /// <summary>Horizontal sum of a Vector256 through Vector128.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float HSum(Vector256<float> a) => Vector128.Sum(a.GetLower() + a.GetUpper());

    /// <summary>Σ x[i]·y[i] for i &lt; n.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot(float* x, float* y, int n)
    {
        int i = 0;
        float sum = 0;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var acc = Vector512<float>.Zero;
            for (; i + 16 <= n; i += 16) acc = Vector512.FusedMultiplyAdd(Vector512.Load(x + i), Vector512.Load(y + i), acc);
            sum = HSum(acc);
        }
        else if (n >= 8)
        {
            var acc = Vector256<float>.Zero;
            for (; i + 8 <= n; i += 8) acc = Vector256.FusedMultiplyAdd(Vector256.Load(x + i), Vector256.Load(y + i), acc);
            sum = HSum(acc);
        }
        for (; i < n; i++) sum = MathF.FusedMultiplyAdd(x[i], y[i], sum);
        return sum;
    }

    /// <summary>y[i] += a·x[i] for i &lt; n.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Axpy(float a, float* x, float* y, int n)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var va = Vector512.Create(a);
            for (; i + 16 <= n; i += 16) Vector512.FusedMultiplyAdd(va, Vector512.Load(x + i), Vector512.Load(y + i)).Store(y + i);
        }
        var vb = Vector256.Create(a);
        for (; i + 8 <= n; i += 8) Vector256.FusedMultiplyAdd(vb, Vector256.Load(x + i), Vector256.Load(y + i)).Store(y + i);
        for (; i < n; i++) y[i] = MathF.FusedMultiplyAdd(a, x[i], y[i]);
    }

    /// <summary>x[i] *= a for i &lt; n.</summary>
    public static void Scale(float* x, float a, int n)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var va = Vector512.Create(a);
            for (; i + 16 <= n; i += 16) (Vector512.Load(x + i) * va).Store(x + i);
        }
        for (; i < n; i++) x[i] *= a;
    }

    /// <summary>Max of x[0..n), n % 16 == 0 (padding lanes hold −∞).</summary>
    public static float MaxPadded(float* x, int n)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            var m = Vector512.Create(float.NegativeInfinity);
            for (int i = 0; i < n; i += 16) m = Vector512.Max(m, Vector512.Load(x + i));
            var m8 = Vector256.Max(m.GetLower(), m.GetUpper());
            var m4 = Vector128.Max(m8.GetLower(), m8.GetUpper());
            return MathF.Max(MathF.Max(m4.GetElement(0), m4.GetElement(1)), MathF.Max(m4.GetElement(2), m4.GetElement(3)));
        }
        float s = float.NegativeInfinity;
        for (int i = 0; i < n; i++) s = MathF.Max(s, x[i]);
        return s;
    }

    /// <summary>x[i] = exp(x[i] − shift) in place, returns the sum; n % 16 == 0, exp(−∞) = 0.</summary>
    public static float ExpShiftSumPadded(float* x, float shift, int n)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            var vs = Vector512.Create(shift);
            var acc = Vector512<float>.Zero;
            for (int i = 0; i < n; i += 16)
            {
                var e = Vector512.Exp(Vector512.Load(x + i) - vs);
                e.Store(x + i);
                acc += e;
            }
            return HSum(acc);
        }
        float sum = 0;
        for (int i = 0; i < n; i++)
        {
            float e = MathF.Exp(x[i] - shift);
            x[i] = e;
            sum += e;
        }
        return sum;
    }
}
