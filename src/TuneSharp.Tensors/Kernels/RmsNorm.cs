// RMSNorm forward/backward. Math: HF modeling_llama.py LlamaRMSNorm (fp32 variance = mean(x²), x·rsqrt(var+eps), ·weight)
// and modeling_gemma.py GemmaRMSNorm (output·(1 + weight)). Scalar twin: Reference/RmsNormReference.cs.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace TuneSharp.Tensors.Kernels;

/// <summary>
/// x, y, dy, dx: (rows, C) row-major with rows = B·T tokens; weight, dweight: (C); rstd: (rows).
/// Forward: rstd = 1/√(mean(x²) + eps), y = (x·rstd)·w′ with w′ = w (Llama) or 1 + w (Gemma, addOneToWeight).
/// Backward: dx = rstd·w′⊙dy − x·rstd³/C·Σ(dy⊙w′⊙x); dweight += Σ_rows dy⊙(x·rstd) (d(1+w)/dw = 1, same for both forms).
/// </summary>
public static unsafe class RmsNorm
{
    /// <summary>
    /// y = RMSNorm(x). Saves the per-row reciprocal RMS into <paramref name="rstd"/> for backward; pass an empty
    /// span when no backward will run (inference). y may alias x (in place).
    /// </summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y, Span<float> rstd,
        int rows, int cols, float eps, bool addOneToWeight = false)
    {
        CheckRows(x.Length, rows, cols, "x");
        CheckRows(y.Length, rows, cols, "y");
        if (weight.Length != cols) throw new ArgumentException($"RmsNorm.Forward: weight length {weight.Length} != C = {cols}.");
        if (!rstd.IsEmpty && rstd.Length != rows) throw new ArgumentException($"RmsNorm.Forward: rstd length {rstd.Length} != rows = {rows} (pass empty to skip saving).");
        Elementwise.CheckOverlap(x, y, "RmsNorm.Forward");
        bool save = !rstd.IsEmpty;
        fixed (float* px = x, pw = weight, py = y, pr = rstd)
        {
            nint a = (nint)px, w = (nint)pw, b = (nint)py, rs = (nint)pr;
            ElementwiseParallel.For(rows, 3L * cols, (r0, r1) =>
            {
                for (int r = r0; r < r1; r++)
                {
                    float v = ForwardRow((float*)a + (long)r * cols, (float*)w, (float*)b + (long)r * cols, cols, eps, addOneToWeight);
                    if (save) ((float*)rs)[r] = v;
                }
            });
        }
    }

    /// <summary>
    /// dx (overwritten) and dweight (ACCUMULATED: dweight += …; pass empty when the weight is frozen) from dy, the
    /// forward input x and the saved rstd. dx may alias dy.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> rstd,
        Span<float> dx, Span<float> dweight, int rows, int cols, bool addOneToWeight = false)
    {
        CheckRows(dy.Length, rows, cols, "dy");
        CheckRows(x.Length, rows, cols, "x");
        CheckRows(dx.Length, rows, cols, "dx");
        if (weight.Length != cols) throw new ArgumentException($"RmsNorm.Backward: weight length {weight.Length} != C = {cols}.");
        if (rstd.Length != rows) throw new ArgumentException($"RmsNorm.Backward: rstd length {rstd.Length} != rows = {rows}.");
        if (!dweight.IsEmpty && dweight.Length != cols) throw new ArgumentException($"RmsNorm.Backward: dweight length {dweight.Length} != C = {cols} (pass empty when frozen).");
        Elementwise.CheckOverlap(dy, dx, "RmsNorm.Backward");
        if (x.Overlaps(dx)) throw new ArgumentException("RmsNorm.Backward: dx must not overlap x.");
        fixed (float* pdy = dy, px = x, pw = weight, pr = rstd, pdx = dx, pdw = dweight)
        {
            nint a = (nint)pdy, b = (nint)px, w = (nint)pw, rs = (nint)pr, c = (nint)pdx, dw = (nint)pdw;
            // dweight first: dx may alias dy and would overwrite it.
            if (!dweight.IsEmpty)
            {
                // Parallel over column blocks (64 wide), each block summing rows in order: deterministic, no races.
                int blocks = (cols + 63) / 64;
                ElementwiseParallel.For(blocks, 2L * 64 * rows, (k0, k1) =>
                {
                    int c0 = k0 * 64, c1 = Math.Min(cols, k1 * 64);
                    WeightGradBlock((float*)a, (float*)b, (float*)rs, (float*)dw, rows, cols, c0, c1);
                });
            }
            ElementwiseParallel.For(rows, 4L * cols, (r0, r1) =>
            {
                for (int r = r0; r < r1; r++)
                {
                    long o = (long)r * cols;
                    BackwardRow((float*)a + o, (float*)b + o, (float*)w, ((float*)rs)[r], (float*)c + o, cols, addOneToWeight);
                }
            });
        }
    }

    private static void CheckRows(int length, int rows, int cols, string name)
    {
        if (rows < 0 || cols <= 0) throw new ArgumentException($"RmsNorm: rows ({rows}) must be ≥ 0 and C ({cols}) > 0.");
        if (length != (long)rows * cols) throw new ArgumentException($"RmsNorm: {name} length {length} != rows·C = {rows}·{cols}.");
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float ForwardRow(float* x, float* w, float* y, int n, float eps, bool addOne)
    {
        float ss = 0;
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var acc = Vector512<float>.Zero;
            for (; i <= n - 16; i += 16) { var v = Vector512.Load(x + i); acc += v * v; }
            ss = Vector512.Sum(acc);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var acc = Vector256<float>.Zero;
            for (; i <= n - 8; i += 8) { var v = Vector256.Load(x + i); acc += v * v; }
            ss = Vector256.Sum(acc);
        }
        for (; i < n; i++) ss += x[i] * x[i];
        // torch: variance = mean(x²) (sum / C in fp32), rsqrt(variance + eps) = 1 / sqrt(...).
        float r = 1f / MathF.Sqrt(ss / n + eps);

        i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vr = Vector512.Create(r);
            var one = addOne ? Vector512<float>.One : Vector512<float>.Zero;
            for (; i <= n - 16; i += 16) Vector512.Store(Vector512.Load(x + i) * vr * (Vector512.Load(w + i) + one), y + i);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var vr = Vector256.Create(r);
            var one = addOne ? Vector256<float>.One : Vector256<float>.Zero;
            for (; i <= n - 8; i += 8) Vector256.Store(Vector256.Load(x + i) * vr * (Vector256.Load(w + i) + one), y + i);
        }
        float o = addOne ? 1f : 0f;
        for (; i < n; i++) y[i] = x[i] * r * (w[i] + o);
        return r;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardRow(float* dy, float* x, float* w, float r, float* dx, int n, bool addOne)
    {
        // dot = Σ dy·w′·x
        float dot = 0;
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var one = addOne ? Vector512<float>.One : Vector512<float>.Zero;
            var acc = Vector512<float>.Zero;
            for (; i <= n - 16; i += 16) acc += Vector512.Load(dy + i) * (Vector512.Load(w + i) + one) * Vector512.Load(x + i);
            dot = Vector512.Sum(acc);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var one = addOne ? Vector256<float>.One : Vector256<float>.Zero;
            var acc = Vector256<float>.Zero;
            for (; i <= n - 8; i += 8) acc += Vector256.Load(dy + i) * (Vector256.Load(w + i) + one) * Vector256.Load(x + i);
            dot = Vector256.Sum(acc);
        }
        float o = addOne ? 1f : 0f;
        for (; i < n; i++) dot += dy[i] * (w[i] + o) * x[i];
        float coef = r * r * r * dot / n;

        i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var one = addOne ? Vector512<float>.One : Vector512<float>.Zero;
            var vr = Vector512.Create(r);
            var vc = Vector512.Create(coef);
            for (; i <= n - 16; i += 16)
                Vector512.Store(vr * ((Vector512.Load(w + i) + one) * Vector512.Load(dy + i)) - vc * Vector512.Load(x + i), dx + i);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var one = addOne ? Vector256<float>.One : Vector256<float>.Zero;
            var vr = Vector256.Create(r);
            var vc = Vector256.Create(coef);
            for (; i <= n - 8; i += 8)
                Vector256.Store(vr * ((Vector256.Load(w + i) + one) * Vector256.Load(dy + i)) - vc * Vector256.Load(x + i), dx + i);
        }
        for (; i < n; i++) dx[i] = r * ((w[i] + o) * dy[i]) - coef * x[i];
    }

    /// <summary>dweight[c0..c1) += Σ_r dy[r, c]·(x[r, c]·rstd[r]) summed in row order (the same order as the twin).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightGradBlock(float* dy, float* x, float* rstd, float* dw, int rows, int cols, int c0, int c1)
    {
        int c = c0;
        if (Vector512.IsHardwareAccelerated)
            for (; c <= c1 - 16; c += 16)
            {
                var acc = Vector512.Load(dw + c);
                for (int r = 0; r < rows; r++)
                {
                    long o = (long)r * cols + c;
                    acc += Vector512.Load(dy + o) * (Vector512.Load(x + o) * Vector512.Create(rstd[r]));
                }
                Vector512.Store(acc, dw + c);
            }
        else if (Vector256.IsHardwareAccelerated)
            for (; c <= c1 - 8; c += 8)
            {
                var acc = Vector256.Load(dw + c);
                for (int r = 0; r < rows; r++)
                {
                    long o = (long)r * cols + c;
                    acc += Vector256.Load(dy + o) * (Vector256.Load(x + o) * Vector256.Create(rstd[r]));
                }
                Vector256.Store(acc, dw + c);
            }
        for (; c < c1; c++)
        {
            float acc = dw[c];
            for (int r = 0; r < rows; r++)
            {
                long o = (long)r * cols + c;
                acc += dy[o] * (x[o] * rstd[r]);
            }
            dw[c] = acc;
        }
    }
}
