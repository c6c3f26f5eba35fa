// IGemmWeights: the weight operand of Gemm as a source that widens (or dequantizes) row segments into F32.
namespace TuneSharp.Tensors.Kernels;

/// <summary>
/// A read-only (n, k) row-major weight matrix (nn.Linear layout out × in) in any storage format.
/// GEMM never reads the storage directly: panel packing and the GEMV path call <see cref="WidenRow"/> to
/// turn a segment of one row into F32, so a format only has to say how to decode a row segment.
/// The same source serves <c>X·Wᵀ</c> (segments along k) and <c>dY·W</c> (segments along n's output
/// columns, i.e. again along a row of W), so a frozen quantized W works for QLoRA's backward too.
/// <para>
/// Contract the kernels guarantee, so block formats need no partial-block bookkeeping across calls:
/// <c>col</c> is always a multiple of <see cref="GemmWeightsLayout.SegmentAlign"/> (64, a multiple of the
/// NF4 block of 64 and of the Q8_0 block of 32); <c>count</c> ≥ 1 and <c>col + count ≤ Cols</c>; a segment ends
/// either at a multiple of 64 or at the end of the row. Implementations are readonly structs holding
/// pointers (to managed memory pinned by the caller, or to a memory-mapped file) so the generic kernel
/// specializes and inlines the decode, and so a copy of the struct can travel to pool threads.
/// </para>
/// <para>
/// Adding a format (e.g. NF4 with 64-value blocks + per-block absmax, or Q8_0 with 32-value blocks + an F16
/// scale): write a <c>readonly unsafe struct GemmNf4Weights : IGemmWeights</c> whose constructor takes the
/// packed pointers and (rows, cols), and whose <c>WidenRow</c> locates block <c>col / 64</c> of row
/// <c>row</c> (row stride = cols / 64 blocks) and writes <c>count</c> dequantized floats; then call
/// <c>Gemm.MatMulTransB(x, in weights, y, m)</c> / <c>Gemm.MatMul(dy, in weights, dx, m)</c>.
/// </para>
/// </summary>
public unsafe interface IGemmWeights
{
    /// <summary>n: output features (rows of W).</summary>
    int Rows { get; }

    /// <summary>k: input features (columns of W).</summary>
    int Cols { get; }

    /// <summary>Writes W[row, col .. col + count) as F32 into <paramref name="dst"/>[0 .. count).</summary>
    void WidenRow(int row, int col, int count, float* dst);
}
