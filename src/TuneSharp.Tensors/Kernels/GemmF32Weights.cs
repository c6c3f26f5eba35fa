// F32 weight source for Gemm: widening is a copy.
using System.Runtime.CompilerServices;

namespace TuneSharp.Tensors.Kernels;

/// <summary>An (n, k) F32 weight at a pinned or native address.</summary>
public readonly unsafe struct GemmF32Weights : IGemmWeights
{
    private readonly float* _data;

    /// <param name="data">Row-major (rows, cols) values; must stay pinned while the struct is used.</param>
    public GemmF32Weights(float* data, int rows, int cols)
    {
        _data = data;
        Rows = rows;
        Cols = cols;
    }

    public int Rows { get; }

    public int Cols { get; }

    /// <summary>Address of W[row, 0]; lets panel packing read F32 rows in place instead of copying them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal float* Row(int row) => _data + (long)row * Cols;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WidenRow(int row, int col, int count, float* dst)
        => Unsafe.CopyBlockUnaligned(dst, Row(row) + col, (uint)count * sizeof(float));
}
