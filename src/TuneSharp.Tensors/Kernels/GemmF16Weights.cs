// F16 weight source for Gemm: IEEE half → float with integer SIMD (rebias by a 2^112 multiply; Inf/NaN patched).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace TuneSharp.Tensors.Kernels;

/// <summary>An (n, k) F16 (<see cref="Half"/>) weight at a pinned or native address.</summary>
public readonly unsafe struct GemmF16Weights : IGemmWeights
{
    // 2^112 = 2^(127 − 15): the exponent rebias from half to float.
    private static readonly float TwoPow112 = BitConverter.Int32BitsToSingle((127 + 112) << 23);

    private readonly ushort* _data;

    /// <param name="data">Row-major (rows, cols) halves; must stay pinned while the struct is used.</param>
    public GemmF16Weights(Half* data, int rows, int cols)
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

    /// <summary>dst[i] = (float)half src[i], exact for normals, subnormals, ±0, ±Inf and NaN payloads.</summary>
    public static void Widen(ushort* src, float* dst, int count)
    {
        // Shifting the 15 magnitude bits left by 13 lines the half's exponent and mantissa up with a float's;
        // the value is then 2^-112 too small (bias 127 vs 15), and one multiply by 2^112 fixes normals and
        // subnormals alike (a float denormal times a power of two is exact). Inf/NaN get exponent 0xFF instead.
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var magic = Vector512.Create(TwoPow112);
            var infHalf = Vector512.Create(0x7C00u);
            for (; i <= count - 32; i += 32)
            {
                var h = Vector512.Load(src + i);
                Vector512.Store(Convert(Vector512.WidenLower(h), magic, infHalf), dst + i);
                Vector512.Store(Convert(Vector512.WidenUpper(h), magic, infHalf), dst + i + 16);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var magic = Vector256.Create(TwoPow112);
            var infHalf = Vector256.Create(0x7C00u);
            for (; i <= count - 16; i += 16)
            {
                var h = Vector256.Load(src + i);
                Vector256.Store(Convert(Vector256.WidenLower(h), magic, infHalf), dst + i);
                Vector256.Store(Convert(Vector256.WidenUpper(h), magic, infHalf), dst + i + 8);
            }
        }
        for (; i < count; i++) dst[i] = (float)BitConverter.UInt16BitsToHalf(src[i]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Convert(Vector512<uint> h, Vector512<float> magic, Vector512<uint> infHalf)
    {
        var sign = Vector512.ShiftLeft(h & Vector512.Create(0x8000u), 16);
        var mag = h & Vector512.Create(0x7FFFu);
        var scaled = (Vector512.ShiftLeft(mag, 13).AsSingle() * magic).AsUInt32();
        var special = Vector512.ShiftLeft(mag, 13) | Vector512.Create(0x7F80_0000u);
        var bits = Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(mag, infHalf), special, scaled);
        return (bits | sign).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Convert(Vector256<uint> h, Vector256<float> magic, Vector256<uint> infHalf)
    {
        var sign = Vector256.ShiftLeft(h & Vector256.Create(0x8000u), 16);
        var mag = h & Vector256.Create(0x7FFFu);
        var scaled = (Vector256.ShiftLeft(mag, 13).AsSingle() * magic).AsUInt32();
        var special = Vector256.ShiftLeft(mag, 13) | Vector256.Create(0x7F80_0000u);
        var bits = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(mag, infHalf), special, scaled);
        return (bits | sign).AsSingle();
    }
}
