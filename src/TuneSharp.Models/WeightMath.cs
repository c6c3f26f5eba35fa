// Weight-dtype dispatch for the inference path: y = x·Wᵀ and LM-head logits for F32/BF16/F16 weights.
using TuneSharp.Tensors;
using TuneSharp.Tensors.Kernels;

namespace TuneSharp.Models;

internal static class WeightMath
{
    /// <summary>y (m, n) (+)= x (m, k) · Wᵀ, W (n, k) in its stored dtype.</summary>
    public static void MatMulTransB(ReadOnlySpan<float> x, Tensor w, Span<float> y, int m, bool accumulate = false)
    {
        int n = w.Shape[0], k = w.Shape[1];
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

    /// <summary>logits (n, v) = hidden (n, c) · Wᵀ, then c·tanh(·/c) when softCap &gt; 0.</summary>
    public static void Logits(ReadOnlySpan<float> hidden, Tensor w, Span<float> logits, int n, int c, int v, float softCap)
    {
        if (w.DType == DType.BF16 && n <= Gemv.MaxRows)
        {
            Gemv.MatMulTransB(hidden, w.AsSpan<BFloat16>(), logits, n, v, c);
            if (softCap > 0)
                for (int i = 0; i < logits.Length; i++) logits[i] = softCap * MathF.Tanh(logits[i] / softCap);
            return;
        }
        switch (w.DType)
        {
            case DType.F32: LmHeadCrossEntropy.Logits(hidden, w.AsSpan<float>(), logits, n, c, v, softCap); break;
            case DType.BF16: LmHeadCrossEntropy.Logits(hidden, w.AsSpan<BFloat16>(), logits, n, c, v, softCap); break;
            case DType.F16: LmHeadCrossEntropy.Logits(hidden, w.AsSpan<Half>(), logits, n, c, v, softCap); break;
            default: throw new NotSupportedException($"weight dtype {w.DType}");
        }
    }

    /// <summary>Embedding rows for ids into out (n, c)·scale.</summary>
    public static void Embed(ReadOnlySpan<int> ids, Tensor table, Span<float> output, float scale)
    {
        int v = table.Shape[0], c = table.Shape[1];
        switch (table.DType)
        {
            case DType.F32: Embedding.Forward(ids, table.AsSpan<float>(), output, v, c, scale); break;
            case DType.BF16: Embedding.Forward(ids, table.AsSpan<BFloat16>(), output, v, c, scale); break;
            case DType.F16: Embedding.Forward(ids, table.AsSpan<Half>(), output, v, c, scale); break;
            default: throw new NotSupportedException($"embedding dtype {table.DType}");
        }
    }
}
