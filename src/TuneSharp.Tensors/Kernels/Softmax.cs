// Row-wise softmax / log-softmax over the last dimension, numerically stable (max-subtracted), with backward.
// Math follows torch.softmax / log_softmax (fp32): y = exp(x − max) · (1 / Σ exp(x − max)). Twin: Reference/SoftmaxReference.cs.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace TuneSharp.Tensors.Kernels;

/// <summary>
/// x, y, dy, dx: (rows, cols) row-major. A row of all −∞ gives NaN like torch. In-place (y aliasing x) is allowed.
/// </summary>
public static unsafe class Softmax
{
    /// <summary>y = softmax(x) per row.</summary>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, int rows, int cols)
    {
        CheckShape(x.Length, y.Length, rows, cols, nameof(Forward));
        fixed (float* px = x, py = y)
        {
            nint a = (nint)px, b = (nint)py;
            ElementwiseParallel.For(rows, 4L * cols, (r0, r1) =>
            {
                for (int r = r0; r < r1; r++) ForwardRow((float*)a + (long)r * cols, (float*)b + (long)r * cols, cols, log: false);
            });
        }
    }

    /// <summary>y = log_softmax(x) per row: (x − max) − log Σ exp(x − max).</summary>
    public static void LogSoftmax(ReadOnlySpan<float> x, Span<float> y, int rows, int cols)
    {
        CheckShape(x.Length, y.Length, rows, cols, nameof(LogSoftmax));
        fixed (float* px = x, py = y)
        {
            nint a = (nint)px, b = (nint)py;
            ElementwiseParallel.For(rows, 4L * cols, (r0, r1) =>
            {
                for (int r = r0; r < r1; r++) ForwardRow((float*)a + (long)r * cols, (float*)b + (long)r * cols, cols, log: true);
            });
        }
    }

    /// <summary>dx = y ⊙ (dy − Σ dy⊙y) per row, from the saved softmax output y. dx is overwritten (may alias dy).</summary>
    public static void Backward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int rows, int cols)
    {
        CheckShape(y.Length, dx.Length, rows, cols, nameof(Backward));
        if (dy.Length != y.Length) throw new ArgumentException($"Softmax.Backward: dy length {dy.Length} != y length {y.Length}.");
        Elementwise.CheckOverlap(y, dx, "Softmax.Backward");
        Elementwise.CheckOverlap(dy, dx, "Softmax.Backward");
        fixed (float* py = y, pdy = dy, pdx = dx)
        {
            nint a = (nint)py, b = (nint)pdy, c = (nint)pdx;
            ElementwiseParallel.For(rows, 3L * cols, (r0, r1) =>
            {
                for (int r = r0; r < r1; r++)
                {
                    long o = (long)r * cols;
                    BackwardRow((float*)a + o, (float*)b + o, (float*)c + o, cols);
                }
            });
        }
    }

    private static void CheckShape(int inLength, int outLength, int rows, int cols, string op)
    {
        if (rows < 0 || cols < 0) throw new ArgumentException($"Softmax.{op}: rows ({rows}) and cols ({cols}) must be non-negative.");
        long n = (long)rows * cols;
        if (inLength != n || outLength != n)
            throw new ArgumentException($"Softmax.{op}: lengths ({inLength}, {outLength}) must equal rows·cols = {rows}·{cols} = {n}.");
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardRow(float* x, float* y, int n, bool log)
    {
        if (n == 0) return;
        // Pass 1: max.
        float max = float.NegativeInfinity;
        int i = 0;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var vm = Vector512.Create(float.NegativeInfinity);
            for (; i <= n - 16; i += 16) vm = Vector512.Max(vm, Vector512.Load(x + i));
            max = MaxAcross(Vector256.Max(vm.GetLower(), vm.GetUpper()));
        }
        else if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var vm = Vector256.Create(float.NegativeInfinity);
            for (; i <= n - 8; i += 8) vm = Vector256.Max(vm, Vector256.Load(x + i));
            max = MaxAcross(vm);
        }
        for (; i < n; i++) max = MathF.Max(max, x[i]);

        // Pass 2: e = exp(x − max) (stored into y for softmax) and its sum.
        float sum = 0;
        i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vmax = Vector512.Create(max);
            var acc = Vector512<float>.Zero;
            for (; i <= n - 16; i += 16)
            {
                var e = Vector512.Exp(Vector512.Load(x + i) - vmax);
                if (!log) Vector512.Store(e, y + i);
                acc += e;
            }
            sum = Vector512.Sum(acc);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var vmax = Vector256.Create(max);
            var acc = Vector256<float>.Zero;
            for (; i <= n - 8; i += 8)
            {
                var e = Vector256.Exp(Vector256.Load(x + i) - vmax);
                if (!log) Vector256.Store(e, y + i);
                acc += e;
            }
            sum = Vector256.Sum(acc);
        }
        for (; i < n; i++)
        {
            float e = MathF.Exp(x[i] - max);
            if (!log) y[i] = e;
            sum += e;
        }

        // Pass 3: normalize.
        if (log)
        {
            float logSum = MathF.Log(sum);
            i = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                var vmax = Vector512.Create(max);
                var vl = Vector512.Create(logSum);
                for (; i <= n - 16; i += 16) Vector512.Store(Vector512.Load(x + i) - vmax - vl, y + i);
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                var vmax = Vector256.Create(max);
                var vl = Vector256.Create(logSum);
                for (; i <= n - 8; i += 8) Vector256.Store(Vector256.Load(x + i) - vmax - vl, y + i);
            }
            for (; i < n; i++) y[i] = x[i] - max - logSum;
        }
        else
        {
            float inv = 1f / sum;
            ScaleInPlace(y, n, inv);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardRow(float* y, float* dy, float* dx, int n)
    {
        float dot = 0;
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var acc = Vector512<float>.Zero;
            for (; i <= n - 16; i += 16) acc += Vector512.Load(y + i) * Vector512.Load(dy + i);
            dot = Vector512.Sum(acc);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var acc = Vector256<float>.Zero;
            for (; i <= n - 8; i += 8) acc += Vector256.Load(y + i) * Vector256.Load(dy + i);
            dot = Vector256.Sum(acc);
        }
        for (; i < n; i++) dot += y[i] * dy[i];

        i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vd = Vector512.Create(dot);
            for (; i <= n - 16; i += 16) Vector512.Store(Vector512.Load(y + i) * (Vector512.Load(dy + i) - vd), dx + i);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var vd = Vector256.Create(dot);
            for (; i <= n - 8; i += 8) Vector256.Store(Vector256.Load(y + i) * (Vector256.Load(dy + i) - vd), dx + i);
        }
        for (; i < n; i++) dx[i] = y[i] * (dy[i] - dot);
    }

    private static void ScaleInPlace(float* y, int n, float s)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vs = Vector512.Create(s);
            for (; i <= n - 16; i += 16) Vector512.Store(Vector512.Load(y + i) * vs, y + i);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var vs = Vector256.Create(s);
            for (; i <= n - 8; i += 8) Vector256.Store(Vector256.Load(y + i) * vs, y + i);
        }
        for (; i < n; i++) y[i] *= s;
    }

    private static float MaxAcross(Vector256<float> v)
    {
        float m = v.GetElement(0);
        for (int k = 1; k < Vector256<float>.Count; k++) m = MathF.Max(m, v.GetElement(k));
        return m;
    }
}
