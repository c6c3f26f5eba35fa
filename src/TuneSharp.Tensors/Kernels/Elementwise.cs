// Vectorized elementwise float ops (add, mul, scale, axpy, fill) that the autograd layer uses for residuals and
// gradient accumulation. Scalar twin: Reference/ElementwiseReference.cs (results are bit-identical: no FMA here).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace TuneSharp.Tensors.Kernels;

/// <summary>
/// Flat span kernels, destination last. Inputs may alias the destination exactly (in place) but must not
/// overlap it partially. Large calls split over <see cref="Threading.KernelPool"/>.
/// </summary>
public static unsafe class Elementwise
{
    /// <summary>destination = a + b.</summary>
    public static void Add(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> destination)
    {
        Check(a, b, destination, nameof(Add));
        fixed (float* pa = a, pb = b, pd = destination)
            Run<AddOp>(pa, pb, pd, destination.Length, 0f);
    }

    /// <summary>destination += a.</summary>
    public static void AddInPlace(ReadOnlySpan<float> a, Span<float> destination)
    {
        Check(a, a, destination, nameof(AddInPlace));
        fixed (float* pa = a, pd = destination)
            Run<AddOp>(pd, pa, pd, destination.Length, 0f);
    }

    /// <summary>destination = a ⊙ b.</summary>
    public static void Mul(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> destination)
    {
        Check(a, b, destination, nameof(Mul));
        fixed (float* pa = a, pb = b, pd = destination)
            Run<MulOp>(pa, pb, pd, destination.Length, 0f);
    }

    /// <summary>destination = a · s.</summary>
    public static void Scale(ReadOnlySpan<float> a, float s, Span<float> destination)
    {
        Check(a, a, destination, nameof(Scale));
        fixed (float* pa = a, pd = destination)
            Run<ScaleOp>(pa, pa, pd, destination.Length, s);
    }

    /// <summary>destination += a · s (axpy; the product is rounded before the add, no FMA).</summary>
    public static void AddScaled(ReadOnlySpan<float> a, float s, Span<float> destination)
    {
        Check(a, a, destination, nameof(AddScaled));
        fixed (float* pa = a, pd = destination)
            Run<AddScaledOp>(pd, pa, pd, destination.Length, s);
    }

    /// <summary>destination[i] = value.</summary>
    public static void Fill(float value, Span<float> destination) => destination.Fill(value);

    private static void Check(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> destination, string op)
    {
        if (a.Length != destination.Length || b.Length != destination.Length)
            throw new ArgumentException($"Elementwise.{op}: input lengths ({a.Length}, {b.Length}) must equal destination length {destination.Length}.");
        CheckOverlap(a, destination, op);
        CheckOverlap(b, destination, op);
    }

    internal static void CheckOverlap(ReadOnlySpan<float> input, ReadOnlySpan<float> destination, string op)
    {
        if (input.Overlaps(destination, out int offset) && offset != 0)
            throw new ArgumentException($"{op}: an input overlaps the destination at offset {offset}; only exact aliasing (in place) is allowed.");
    }

    private interface IOp
    {
        static abstract float Invoke(float x, float y, float s);
        static abstract Vector512<float> Invoke(Vector512<float> x, Vector512<float> y, Vector512<float> s);
        static abstract Vector256<float> Invoke(Vector256<float> x, Vector256<float> y, Vector256<float> s);
    }

    private readonly struct AddOp : IOp
    {
        public static float Invoke(float x, float y, float s) => x + y;
        public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y, Vector512<float> s) => x + y;
        public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y, Vector256<float> s) => x + y;
    }

    private readonly struct MulOp : IOp
    {
        public static float Invoke(float x, float y, float s) => x * y;
        public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y, Vector512<float> s) => x * y;
        public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y, Vector256<float> s) => x * y;
    }

    private readonly struct ScaleOp : IOp
    {
        public static float Invoke(float x, float y, float s) => x * s;
        public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y, Vector512<float> s) => x * s;
        public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y, Vector256<float> s) => x * s;
    }

    private readonly struct AddScaledOp : IOp
    {
        public static float Invoke(float x, float y, float s) => x + y * s;
        public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y, Vector512<float> s) => x + y * s;
        public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y, Vector256<float> s) => x + y * s;
    }

    private static void Run<TOp>(float* x, float* y, float* d, int n, float s) where TOp : struct, IOp
    {
        if (n < 2 * ElementwiseParallel.MinElementsPerWorker)
        {
            Core<TOp>(x, y, d, n, s);
            return;
        }
        nint px = (nint)x, py = (nint)y, pd = (nint)d;
        ElementwiseParallel.For(n, 1, (begin, end) =>
            Core<TOp>((float*)px + begin, (float*)py + begin, (float*)pd + begin, end - begin, s));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Core<TOp>(float* x, float* y, float* d, int n, float s) where TOp : struct, IOp
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vs = Vector512.Create(s);
            for (; i <= n - 16; i += 16)
                Vector512.Store(TOp.Invoke(Vector512.Load(x + i), Vector512.Load(y + i), vs), d + i);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var vs = Vector256.Create(s);
            for (; i <= n - 8; i += 8)
                Vector256.Store(TOp.Invoke(Vector256.Load(x + i), Vector256.Load(y + i), vs), d + i);
        }
        for (; i < n; i++) d[i] = TOp.Invoke(x[i], y[i], s);
    }
}
