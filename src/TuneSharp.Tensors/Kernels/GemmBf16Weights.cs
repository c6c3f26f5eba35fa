// BF16 weight source for Gemm: widening is a 16-bit left shift (vpmovzxwd + vpslld with Vector512).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace TuneSharp.Tensors.Kernels;

/// <summary>An (n, k) BF16 weight at a pinned or native address.</summary>
public readonly unsafe struct GemmBf16Weights : IGemmWeights
{
    private readonly ushort* _data;

    /// <param name="data">Row-major (rows, cols) bf16 bit patterns; must stay pinned while the struct is used.</param>
    public GemmBf16Weights(BFloat16* data, int rows, int cols)
    {
        _data = (ushort*)data;
        Rows = rows;
        Cols = cols;
    }

    public int Rows { get; }

    public int Cols { get; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WidenRow(int row, int col, int count, float* dst)
        => Widen(_data + (long)row * Cols + col, dst, count);

    /// <summary>dst[i] = bf16 src[i] as float (exact).</summary>
    public static void Widen(ushort* src, float* dst, int count)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= count - 32; i += 32)
            {
                var h = Vector512.Load(src + i);
                Vector512.Store(Vector512.ShiftLeft(Vector512.WidenLower(h), 16).AsSingle(), dst + i);
                Vector512.Store(Vector512.ShiftLeft(Vector512.WidenUpper(h), 16).AsSingle(), dst + i + 16);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= count - 16; i += 16)
            {
                var h = Vector256.Load(src + i);
                Vector256.Store(Vector256.ShiftLeft(Vector256.WidenLower(h), 16).AsSingle(), dst + i);
                Vector256.Store(Vector256.ShiftLeft(Vector256.WidenUpper(h), 16).AsSingle(), dst + i + 8);
            }
        }
        for (; i < count; i++) ((uint*)dst)[i] = (uint)src[i] << 16;
    }
}
