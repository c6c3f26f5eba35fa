// Scalar twin of Kernels/Activations (SiLU, tanh-GELU, SwiGLU, GeGLU), generic so the same code runs in float
// (kernel tests) and double (finite-difference checks). Same formulas and operation order as the kernel.
using System.Numerics;

namespace TuneSharp.Tensors.Kernels.Reference;

public static class ActivationsReference
{
    /// <summary>Returns (silu(x), silu'(x)) with e = exp(−x), s = 1/(1+e): f = x·s, f' = s·(1 + x·(1 − s)).</summary>
    public static (T Value, T Derivative) SiluWithDerivative<T>(T x) where T : IFloatingPointIeee754<T>
    {
        T one = T.One;
        T e = T.Exp(-x), s = one / (one + e);
        return (x * s, s * (one + x * OneMinus(s, e)));
    }

    /// <summary>Returns (gelu_tanh(x), derivative) via x·σ(2u), u = √(2/π)(x + 0.044715x³).</summary>
    public static (T Value, T Derivative) GeluTanhWithDerivative<T>(T x) where T : IFloatingPointIeee754<T>
    {
        // Constants are rounded to T from the float values the kernel uses, so float twin == kernel formula.
        T k = T.CreateTruncating(0.7978845608028654f), a = T.CreateTruncating(0.044715f);
        T a3 = T.CreateTruncating(0.134145f), twoK = T.CreateTruncating(1.5957691216057308f);
        if (typeof(T) == typeof(double))
        {
            // In double use the exact constants so finite differences see the true function.
            k = T.CreateTruncating(Math.Sqrt(2.0 / Math.PI)); a = T.CreateTruncating(0.044715);
            a3 = T.CreateTruncating(3 * 0.044715); twoK = k + k;
        }
        T one = T.One;
        T e = T.Exp(-(twoK * (x + a * (x * x * x)))), s = one / (one + e);
        return (x * s, s + (x + x) * (s * OneMinus(s, e)) * (k * (one + a3 * (x * x))));
    }

    /// <summary>1 − σ as e·σ (e = exp(−z)), exact when σ underflows to 0; avoids cancellation as σ → 1.</summary>
    private static T OneMinus<T>(T s, T e) where T : IFloatingPointIeee754<T> => s == T.Zero ? T.One : e * s;

    public static void Silu<T>(ReadOnlySpan<T> x, Span<T> y) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < y.Length; i++) y[i] = SiluWithDerivative(x[i]).Value;
    }

    public static void SiluBackward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, Span<T> dx) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < dx.Length; i++) dx[i] = dy[i] * SiluWithDerivative(x[i]).Derivative;
    }

    public static void GeluTanh<T>(ReadOnlySpan<T> x, Span<T> y) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < y.Length; i++) y[i] = GeluTanhWithDerivative(x[i]).Value;
    }

    public static void GeluTanhBackward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, Span<T> dx) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < dx.Length; i++) dx[i] = dy[i] * GeluTanhWithDerivative(x[i]).Derivative;
    }

    /// <summary>h = silu(gate) ⊙ up.</summary>
    public static void SwiGlu<T>(ReadOnlySpan<T> gate, ReadOnlySpan<T> up, Span<T> h) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < h.Length; i++) h[i] = SiluWithDerivative(gate[i]).Value * up[i];
    }

    /// <summary>dgate = dh·up·silu'(gate); dup = dh·silu(gate).</summary>
    public static void SwiGluBackward<T>(ReadOnlySpan<T> dh, ReadOnlySpan<T> gate, ReadOnlySpan<T> up, Span<T> dgate, Span<T> dup) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < dh.Length; i++)
        {
            var (f, d) = SiluWithDerivative(gate[i]);
            dgate[i] = dh[i] * up[i] * d;
            dup[i] = dh[i] * f;
        }
    }

    /// <summary>h = gelu_tanh(gate) ⊙ up.</summary>
    public static void GeGlu<T>(ReadOnlySpan<T> gate, ReadOnlySpan<T> up, Span<T> h) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < h.Length; i++) h[i] = GeluTanhWithDerivative(gate[i]).Value * up[i];
    }

    /// <summary>dgate = dh·up·gelu_tanh'(gate); dup = dh·gelu_tanh(gate).</summary>
    public static void GeGluBackward<T>(ReadOnlySpan<T> dh, ReadOnlySpan<T> gate, ReadOnlySpan<T> up, Span<T> dgate, Span<T> dup) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < dh.Length; i++)
        {
            var (f, d) = GeluTanhWithDerivative(gate[i]);
            dgate[i] = dh[i] * up[i] * d;
            dup[i] = dh[i] * f;
        }
    }
}
