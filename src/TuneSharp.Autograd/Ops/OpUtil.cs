// Small shared helpers for ops: shape checks, row counts, weight dtype dispatch for the GEMM forms.
using TuneSharp.Tensors;
using TuneSharp.Tensors.Kernels;

namespace TuneSharp.Autograd.Ops;

internal static class OpUtil
{
    /// <summary>Rows when the last dimension is <paramref name="cols"/>: x (…, cols) → (rows, cols).</summary>
    public static int Rows(Tensor t, int cols, string op, string what)
    {
        if (t.Rank == 0 || t.Shape[-1] != cols)
            throw new ArgumentException($"{op}: {what} has shape {t.Shape}, expected last dimension {cols}");
        return checked((int)(t.ElementCount / Math.Max(1, cols)));
    }

    public static void RequireF32(Variable v, string op, string what)
    {
        if (v.DType != DType.F32) throw new ArgumentException($"{op}: {what} '{v.Name}' must be F32, got {v.DType}");
    }

    public static void SameShape(Variable a, Variable b, string op)
    {
        if (a.Shape != b.Shape) throw new ArgumentException($"{op}: shapes {a.Shape} ('{a.Name}') and {b.Shape} ('{b.Name}') differ");
    }

    /// <summary>Dims of <paramref name="t"/> with the last one replaced.</summary>
    public static int[] WithLast(Shape s, int last)
    {
        var d = s.ToArray();
        d[^1] = last;
        return d;
    }

    /// <summary>y (m, n) (+)= x (m, k) · wᵀ for a weight of any dtype.</summary>
    public static void MatMulTransB(ReadOnlySpan<float> x, Tensor w, Span<float> y, int m, int n, int k, bool accumulate)
    {
        switch (w.DType)
        {
            case DType.F32: Gemm.MatMulTransB(x, w.AsSpan<float>(), y, m, n, k, accumulate); break;
            // Decode steps (a few rows): stream the BF16 weights once instead of packing panels.
            case DType.BF16 when m <= Gemv.MaxRows: Gemv.MatMulTransB(x, w.AsSpan<BFloat16>(), y, m, n, k, accumulate); break;
            case DType.BF16: Gemm.MatMulTransB(x, w.AsSpan<BFloat16>(), y, m, n, k, accumulate); break;
            case DType.F16: Gemm.MatMulTransB(x, w.AsSpan<Half>(), y, m, n, k, accumulate); break;
            default: throw new NotSupportedException($"weight dtype {w.DType}");
        }
    }

    /// <summary>dx (m, k) (+)= dy (m, n) · w (n, k) for a weight of any dtype.</summary>
    public static void MatMul(ReadOnlySpan<float> dy, Tensor w, Span<float> dx, int m, int n, int k, bool accumulate)
    {
        switch (w.DType)
        {
            case DType.F32: Gemm.MatMul(dy, w.AsSpan<float>(), dx, m, n, k, accumulate); break;
            case DType.BF16: Gemm.MatMul(dy, w.AsSpan<BFloat16>(), dx, m, n, k, accumulate); break;
            case DType.F16: Gemm.MatMul(dy, w.AsSpan<Half>(), dx, m, n, k, accumulate); break;
            default: throw new NotSupportedException($"weight dtype {w.DType}");
        }
    }

    /// <summary>
    /// For kernels that overwrite their gradient output: returns the span to write — <paramref name="target"/>'s
    /// fresh gradient buffer when it has none yet, else a scratch tensor (also when the target needs no gradient
    /// but the kernel still wants somewhere to write). Pair with <see cref="EndOverwrite"/>.
    /// </summary>
    public static Span<float> BeginOverwrite(Variable? target, Shape shape, out Tensor? scratch)
    {
        if (target != null && target.RequiresGrad)
        {
            var dst = target.GradForWrite(out bool acc);
            if (!acc)
            {
                scratch = null;
                return dst;
            }
        }
        scratch = AutogradMemory.AllocateF32(shape);
        return scratch.Span;
    }

    /// <summary>Adds the scratch (if any) into the target's gradient and frees it.</summary>
    public static void EndOverwrite(Variable? target, Tensor? scratch)
    {
        if (scratch == null) return;
        if (target != null && target.RequiresGrad) Elementwise.AddInPlace(scratch.Span, target.Grad!.Span);
        AutogradMemory.Free(scratch);
    }

    /// <summary>An F32 copy of a small frozen tensor stored as BF16/F16 (norm weights); null when already F32.</summary>
    public static Tensor? WidenIfNeeded(Tensor t) => t.DType == DType.F32 ? null : t.To(DType.F32);
}
