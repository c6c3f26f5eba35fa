// Inference lookup in a GGUF token embedding kept in its ggml type: each id's row dequantized (ggml's get_rows) and
// scaled. No backward: quantized GGUF weights are frozen.
using TuneSharp.Tensors;
using TuneSharp.Tensors.Kernels.Quant;

namespace TuneSharp.Autograd.Ops;

public static class EmbeddingGgmlOp
{
    /// <summary>ids (N) → (N, C) = dequantize(table[id])·scale for a ggml-quantized table (V, C).</summary>
    public static Variable EmbeddingGgml(this Tape tape, ReadOnlyMemory<int> ids, GgmlQuantMatrix table, float scale = 1f, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        int cols = table.Cols;
        var y = AutogradMemory.AllocateF32(new Shape(ids.Length, cols));
        var ys = y.Span;
        var idSpan = ids.Span;
        for (int t = 0; t < idSpan.Length; t++)
        {
            int id = idSpan[t];
            if ((uint)id >= (uint)table.Rows)
            {
                y.Dispose();
                throw new ArgumentOutOfRangeException(nameof(ids), $"EmbeddingGgml '{name}': token id {id} at position {t} is outside the vocabulary [0, {table.Rows})");
            }
            var row = ys.Slice(t * cols, cols);
            table.DequantizeRow(id, row);
            if (scale != 1f)
                for (int c = 0; c < cols; c++) row[c] *= scale;
        }
        return tape.CreateOutput(y, false, name);
    }
}
