// Scalar twin of Kernels/Embedding (lookup with scale, scatter-add backward), generic over the float type.
using System.Numerics;

namespace TuneSharp.Tensors.Kernels.Reference;

/// <summary>ids: (N); table, dtable: (V, C); output, dout: (N, C). BF16/F16 tables are widened by the caller first.</summary>
public static class EmbeddingReference
{
    public static void Forward<T>(ReadOnlySpan<int> ids, ReadOnlySpan<T> table, Span<T> output, int vocab, int cols, T scale) where T : IFloatingPointIeee754<T>
    {
        for (int t = 0; t < ids.Length; t++)
        {
            if ((uint)ids[t] >= (uint)vocab) throw new ArgumentOutOfRangeException(nameof(ids), ids[t], $"token id {ids[t]} outside vocabulary of size {vocab}");
            for (int c = 0; c < cols; c++) output[t * cols + c] = table[ids[t] * cols + c] * scale;
        }
    }

    /// <summary>dtable[ids[t]] += dout[t]·scale in token order.</summary>
    public static void Backward<T>(ReadOnlySpan<int> ids, ReadOnlySpan<T> dout, Span<T> dtable, int vocab, int cols, T scale) where T : IFloatingPointIeee754<T>
    {
        for (int t = 0; t < ids.Length; t++)
            for (int c = 0; c < cols; c++) dtable[ids[t] * cols + c] += dout[t * cols + c] * scale;
    }
}
