// SiLU / tanh-GELU and their gated forms SwiGLU, GeGLU (forward + backward), vectorized.
// Math: HF activations.py SiLUActivation (x·σ(x)) and PytorchGELUTanh (0.5·x·(1+tanh(√(2/π)(x+0.044715x³)))),
// LlamaMLP (down(silu(gate)·up)) and GemmaMLP (gelu_pytorch_tanh). Scalar twin: Reference/ActivationsReference.cs.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace TuneSharp.Tensors.Kernels;

/// <summary>
/// Flat elementwise activations, destination(s) last; gate/up/h are (rows, I) row-major but only lengths matter.
/// tanh-GELU is evaluated as x·σ(2u), u = √(2/π)(x + 0.044715x³), which equals 0.5·x·(1 + tanh u) exactly in real
/// arithmetic and avoids the cancellation of 1 + tanh u for very negative x.
/// </summary>
public static unsafe class Activations
{
    /// <summary>y = silu(x) = x·σ(x).</summary>
    public static void Silu(ReadOnlySpan<float> x, Span<float> y) => Unary<SiluOp>(x, y, nameof(Silu));

    /// <summary>dx = dy·silu'(x) = dy·σ(x)·(1 + x·(1 − σ(x))).</summary>
    public static void SiluBackward(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, Span<float> dx) => UnaryBackward<SiluOp>(dy, x, dx, nameof(SiluBackward));

    /// <summary>y = gelu_tanh(x) (HF "gelu_pytorch_tanh").</summary>
    public static void GeluTanh(ReadOnlySpan<float> x, Span<float> y) => Unary<GeluTanhOp>(x, y, nameof(GeluTanh));

    /// <summary>dx = dy·gelu_tanh'(x).</summary>
    public static void GeluTanhBackward(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, Span<float> dx) => UnaryBackward<GeluTanhOp>(dy, x, dx, nameof(GeluTanhBackward));

    /// <summary>h = silu(gate) ⊙ up.</summary>
    public static void SwiGlu(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> h) => Gated<SiluOp>(gate, up, h, nameof(SwiGlu));

    /// <summary>dgate = dh ⊙ up ⊙ silu'(gate); dup = dh ⊙ silu(gate). Both overwritten.</summary>
    public static void SwiGluBackward(ReadOnlySpan<float> dh, ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> dgate, Span<float> dup)
        => GatedBackward<SiluOp>(dh, gate, up, dgate, dup, nameof(SwiGluBackward));

    /// <summary>h = gelu_tanh(gate) ⊙ up.</summary>
    public static void GeGlu(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> h) => Gated<GeluTanhOp>(gate, up, h, nameof(GeGlu));

    /// <summary>dgate = dh ⊙ up ⊙ gelu_tanh'(gate); dup = dh ⊙ gelu_tanh(gate). Both overwritten.</summary>
    public static void GeGluBackward(ReadOnlySpan<float> dh, ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> dgate, Span<float> dup)
        => GatedBackward<GeluTanhOp>(dh, gate, up, dgate, dup, nameof(GeGluBackward));

    // ---- drivers -------------------------------------------------------------------------------------------

    private static void Unary<TOp>(ReadOnlySpan<float> x, Span<float> y, string op) where TOp : struct, IActivation
    {
        if (x.Length != y.Length) throw new ArgumentException($"Activations.{op}: x length {x.Length} != y length {y.Length}.");
        Elementwise.CheckOverlap(x, y, "Activations." + op);
        fixed (float* px = x, py = y)
            Run(y.Length, (nint)px, 0, 0, (nint)py, 0, static (a, b, c, d, e, n) => UnaryCore<TOp>((float*)a, (float*)d, n));
    }

    private static void UnaryBackward<TOp>(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, Span<float> dx, string op) where TOp : struct, IActivation
    {
        if (dy.Length != dx.Length || x.Length != dx.Length)
            throw new ArgumentException($"Activations.{op}: dy ({dy.Length}), x ({x.Length}) and dx ({dx.Length}) lengths differ.");
        Elementwise.CheckOverlap(dy, dx, "Activations." + op);
        Elementwise.CheckOverlap(x, dx, "Activations." + op);
        fixed (float* pdy = dy, px = x, pdx = dx)
            Run(dx.Length, (nint)pdy, (nint)px, 0, (nint)pdx, 0, static (a, b, c, d, e, n) => UnaryBackwardCore<TOp>((float*)a, (float*)b, (float*)d, n));
    }

    private static void Gated<TOp>(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> h, string op) where TOp : struct, IActivation
    {
        if (gate.Length != h.Length || up.Length != h.Length)
            throw new ArgumentException($"Activations.{op}: gate ({gate.Length}), up ({up.Length}) and h ({h.Length}) lengths differ.");
        Elementwise.CheckOverlap(gate, h, "Activations." + op);
        Elementwise.CheckOverlap(up, h, "Activations." + op);
        fixed (float* pg = gate, pu = up, ph = h)
            Run(h.Length, (nint)pg, (nint)pu, 0, (nint)ph, 0, static (a, b, c, d, e, n) => GatedCore<TOp>((float*)a, (float*)b, (float*)d, n));
    }

    private static void GatedBackward<TOp>(ReadOnlySpan<float> dh, ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> dgate, Span<float> dup, string op)
        where TOp : struct, IActivation
    {
        int n = dh.Length;
        if (gate.Length != n || up.Length != n || dgate.Length != n || dup.Length != n)
            throw new ArgumentException($"Activations.{op}: dh ({n}), gate ({gate.Length}), up ({up.Length}), dgate ({dgate.Length}) and dup ({dup.Length}) lengths differ.");
        string name = "Activations." + op;
        Elementwise.CheckOverlap(dh, dgate, name);
        Elementwise.CheckOverlap(gate, dgate, name);
        Elementwise.CheckOverlap(up, dgate, name);
        Elementwise.CheckOverlap(dh, dup, name);
        Elementwise.CheckOverlap(gate, dup, name);
        Elementwise.CheckOverlap(up, dup, name);
        if (dgate.Overlaps(dup)) throw new ArgumentException($"Activations.{op}: dgate and dup must not overlap.");
        fixed (float* pdh = dh, pg = gate, pu = up, pdg = dgate, pdu = dup)
            Run(n, (nint)pdh, (nint)pg, (nint)pu, (nint)pdg, (nint)pdu,
                static (a, b, c, d, e, len) => GatedBackwardCore<TOp>((float*)a, (float*)b, (float*)c, (float*)d, (float*)e, len));
    }

    private delegate void Chunk(nint a, nint b, nint c, nint d, nint e, int n);

    /// <summary>Runs a chunk kernel on [0, n), offsetting every non-null pointer by the chunk start.</summary>
    private static void Run(int n, nint a, nint b, nint c, nint d, nint e, Chunk body)
    {
        if (n < 2 * ElementwiseParallel.MinElementsPerWorker / 4)
        {
            body(a, b, c, d, e, n);
            return;
        }
        // Transcendentals make each element ~4× the cost of a plain add, hence the lower split threshold.
        ElementwiseParallel.For(n, 4, (begin, end) =>
        {
            nint off = begin * sizeof(float);
            body(a + off, b == 0 ? 0 : b + off, c == 0 ? 0 : c + off, d + off, e == 0 ? 0 : e + off, end - begin);
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void UnaryCore<TOp>(float* x, float* y, int n) where TOp : struct, IActivation
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= n - 16; i += 16) Vector512.Store(TOp.Value(Vector512.Load(x + i)), y + i);
        else if (Vector256.IsHardwareAccelerated)
            for (; i <= n - 8; i += 8) Vector256.Store(TOp.Value(Vector256.Load(x + i)), y + i);
        for (; i < n; i++) y[i] = TOp.Value(x[i]);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void UnaryBackwardCore<TOp>(float* dy, float* x, float* dx, int n) where TOp : struct, IActivation
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= n - 16; i += 16)
            {
                TOp.ValueAndDerivative(Vector512.Load(x + i), out _, out var d);
                Vector512.Store(Vector512.Load(dy + i) * d, dx + i);
            }
        else if (Vector256.IsHardwareAccelerated)
            for (; i <= n - 8; i += 8)
            {
                TOp.ValueAndDerivative(Vector256.Load(x + i), out _, out var d);
                Vector256.Store(Vector256.Load(dy + i) * d, dx + i);
            }
        for (; i < n; i++)
        {
            TOp.ValueAndDerivative(x[i], out _, out float d);
            dx[i] = dy[i] * d;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GatedCore<TOp>(float* g, float* u, float* h, int n) where TOp : struct, IActivation
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= n - 16; i += 16) Vector512.Store(TOp.Value(Vector512.Load(g + i)) * Vector512.Load(u + i), h + i);
        else if (Vector256.IsHardwareAccelerated)
            for (; i <= n - 8; i += 8) Vector256.Store(TOp.Value(Vector256.Load(g + i)) * Vector256.Load(u + i), h + i);
        for (; i < n; i++) h[i] = TOp.Value(g[i]) * u[i];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GatedBackwardCore<TOp>(float* dh, float* g, float* u, float* dg, float* du, int n) where TOp : struct, IActivation
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= n - 16; i += 16)
            {
                TOp.ValueAndDerivative(Vector512.Load(g + i), out var f, out var d);
                var vdh = Vector512.Load(dh + i);
                Vector512.Store(vdh * Vector512.Load(u + i) * d, dg + i);
                Vector512.Store(vdh * f, du + i);
            }
        else if (Vector256.IsHardwareAccelerated)
            for (; i <= n - 8; i += 8)
            {
                TOp.ValueAndDerivative(Vector256.Load(g + i), out var f, out var d);
                var vdh = Vector256.Load(dh + i);
                Vector256.Store(vdh * Vector256.Load(u + i) * d, dg + i);
                Vector256.Store(vdh * f, du + i);
            }
        for (; i < n; i++)
        {
            TOp.ValueAndDerivative(g[i], out float f, out float d);
            float vdh = dh[i], vu = u[i]; // read before writing: dgate/dup may alias dh, gate or up exactly
            dg[i] = vdh * vu * d;
            du[i] = vdh * f;
        }
    }

    // ---- activation functions (scalar / Vector256 / Vector512 with the same operation order) ---------------

    // 1 − σ = e·σ with e = exp(−z): no cancellation when σ → 1 (1 − s would lose ~log2(1/(1−s)) bits). When e
    // overflows σ is exactly 0 and 1 − σ is 1.
    private static float OneMinus(float s, float e) => s == 0f ? 1f : e * s;

    private static Vector512<float> OneMinus(Vector512<float> s, Vector512<float> e)
        => Vector512.ConditionalSelect(Vector512.Equals(s, Vector512<float>.Zero), Vector512<float>.One, e * s);

    private static Vector256<float> OneMinus(Vector256<float> s, Vector256<float> e)
        => Vector256.ConditionalSelect(Vector256.Equals(s, Vector256<float>.Zero), Vector256<float>.One, e * s);

    private interface IActivation
    {
        static abstract float Value(float x);
        static abstract Vector512<float> Value(Vector512<float> x);
        static abstract Vector256<float> Value(Vector256<float> x);
        static abstract void ValueAndDerivative(float x, out float f, out float d);
        static abstract void ValueAndDerivative(Vector512<float> x, out Vector512<float> f, out Vector512<float> d);
        static abstract void ValueAndDerivative(Vector256<float> x, out Vector256<float> f, out Vector256<float> d);
    }

    /// <summary>e = e^(−x), s = 1/(1+e); f = x·s; f' = s·(1 + x·(1 − s)) with 1 − s = e·s.</summary>
    private readonly struct SiluOp : IActivation
    {
        public static float Value(float x) => x * (1f / (1f + MathF.Exp(-x)));

        public static Vector512<float> Value(Vector512<float> x) => x * (Vector512<float>.One / (Vector512<float>.One + Vector512.Exp(-x)));

        public static Vector256<float> Value(Vector256<float> x) => x * (Vector256<float>.One / (Vector256<float>.One + Vector256.Exp(-x)));

        public static void ValueAndDerivative(float x, out float f, out float d)
        {
            float e = MathF.Exp(-x), s = 1f / (1f + e);
            f = x * s;
            d = s * (1f + x * OneMinus(s, e));
        }

        public static void ValueAndDerivative(Vector512<float> x, out Vector512<float> f, out Vector512<float> d)
        {
            var one = Vector512<float>.One;
            var e = Vector512.Exp(-x);
            var s = one / (one + e);
            f = x * s;
            d = s * (one + x * OneMinus(s, e));
        }

        public static void ValueAndDerivative(Vector256<float> x, out Vector256<float> f, out Vector256<float> d)
        {
            var one = Vector256<float>.One;
            var e = Vector256.Exp(-x);
            var s = one / (one + e);
            f = x * s;
            d = s * (one + x * OneMinus(s, e));
        }
    }

    /// <summary>
    /// u = k·(x + a·x³); e = e^(−2u), s = σ(2u) = 1/(1+e); f = x·s; f' = s + 2x·s(1−s)·k(1 + 3a·x²), 1 − s = e·s.
    /// Constants are the float roundings of √(2/π) and 0.044715 (what torch uses in fp32).
    /// </summary>
    private readonly struct GeluTanhOp : IActivation
    {
        private const float K = 0.7978845608028654f, A = 0.044715f, A3 = 0.134145f, TwoK = 1.5957691216057308f;

        public static float Value(float x)
        {
            float s = 1f / (1f + MathF.Exp(-(TwoK * (x + A * (x * x * x)))));
            return x * s;
        }

        public static Vector512<float> Value(Vector512<float> x)
        {
            var one = Vector512<float>.One;
            var s = one / (one + Vector512.Exp(-(Vector512.Create(TwoK) * (x + Vector512.Create(A) * (x * x * x)))));
            return x * s;
        }

        public static Vector256<float> Value(Vector256<float> x)
        {
            var one = Vector256<float>.One;
            var s = one / (one + Vector256.Exp(-(Vector256.Create(TwoK) * (x + Vector256.Create(A) * (x * x * x)))));
            return x * s;
        }

        public static void ValueAndDerivative(float x, out float f, out float d)
        {
            float e = MathF.Exp(-(TwoK * (x + A * (x * x * x)))), s = 1f / (1f + e);
            f = x * s;
            d = s + (x + x) * (s * OneMinus(s, e)) * (K * (1f + A3 * (x * x)));
        }

        public static void ValueAndDerivative(Vector512<float> x, out Vector512<float> f, out Vector512<float> d)
        {
            var one = Vector512<float>.One;
            var e = Vector512.Exp(-(Vector512.Create(TwoK) * (x + Vector512.Create(A) * (x * x * x))));
            var s = one / (one + e);
            f = x * s;
            d = s + (x + x) * (s * OneMinus(s, e)) * (Vector512.Create(K) * (one + Vector512.Create(A3) * (x * x)));
        }

        public static void ValueAndDerivative(Vector256<float> x, out Vector256<float> f, out Vector256<float> d)
        {
            var one = Vector256<float>.One;
            var e = Vector256.Exp(-(Vector256.Create(TwoK) * (x + Vector256.Create(A) * (x * x * x))));
            var s = one / (one + e);
            f = x * s;
            d = s + (x + x) * (s * OneMinus(s, e)) * (Vector256.Create(K) * (one + Vector256.Create(A3) * (x * x)));
        }
    }
}
