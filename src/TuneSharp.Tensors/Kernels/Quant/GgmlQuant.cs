// Block geometry and row dequantization of the ggml types TuneSharp reads (ggml.c type_traits: blck_size, type_size).
using TuneSharp.Tensors.IO.Gguf;

namespace TuneSharp.Tensors.Kernels.Quant;

/// <summary>Block geometry and a type-dispatched row dequantizer for GGUF tensors.</summary>
public static class GgmlQuant
{
    /// <summary>Whether <see cref="Dequantize"/> reads this type.</summary>
    public static bool CanDequantize(GgmlType type) => type is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16
        or GgmlType.Q4_0 or GgmlType.Q8_0 or GgmlType.Q4_K or GgmlType.Q6_K;

    /// <summary>Values per block (1 for plain float types).</summary>
    public static int BlockSize(GgmlType type) => type switch
    {
        GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 => 1,
        GgmlType.Q4_0 => Q4_0.BlockSize,
        GgmlType.Q8_0 => Q8_0.BlockSize,
        GgmlType.Q4_K => Q4K.BlockSize,
        GgmlType.Q6_K => Q6K.BlockSize,
        _ => throw new NotSupportedException($"ggml type {(int)type} is not supported"),
    };

    /// <summary>Bytes per block.</summary>
    public static int BlockBytes(GgmlType type) => type switch
    {
        GgmlType.F32 => 4,
        GgmlType.F16 or GgmlType.BF16 => 2,
        GgmlType.Q4_0 => Q4_0.BlockBytes,
        GgmlType.Q8_0 => Q8_0.BlockBytes,
        GgmlType.Q4_K => Q4K.BlockBytes,
        GgmlType.Q6_K => Q6K.BlockBytes,
        _ => throw new NotSupportedException($"ggml type {(int)type} is not supported"),
    };

    /// <summary>Bytes of <paramref name="n"/> values; throws when n is not a whole number of blocks.</summary>
    public static long ByteCount(GgmlType type, long n)
    {
        int bs = BlockSize(type);
        if (n % bs != 0) throw new ArgumentException($"{type}: {n} values is not a multiple of the block size {bs}");
        return n / bs * BlockBytes(type);
    }

    /// <summary>dst (n) ← the values encoded in src (little-endian, as in a GGUF file).</summary>
    public static void Dequantize(GgmlType type, ReadOnlySpan<byte> src, Span<float> dst)
    {
        switch (type)
        {
            case GgmlType.F32:
                CheckPlain(type, src.Length, dst.Length, 4);
                for (int i = 0; i < dst.Length; i++) dst[i] = BitConverter.Int32BitsToSingle(System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(src[(4 * i)..]));
                break;
            case GgmlType.F16:
                CheckPlain(type, src.Length, dst.Length, 2);
                for (int i = 0; i < dst.Length; i++) dst[i] = (float)BitConverter.UInt16BitsToHalf((ushort)(src[2 * i] | src[2 * i + 1] << 8));
                break;
            case GgmlType.BF16:
                CheckPlain(type, src.Length, dst.Length, 2);
                for (int i = 0; i < dst.Length; i++) dst[i] = BitConverter.Int32BitsToSingle((src[2 * i] | src[2 * i + 1] << 8) << 16);
                break;
            case GgmlType.Q4_0: Q4_0.Dequantize(src, dst); break;
            case GgmlType.Q8_0: Q8_0.Dequantize(src, dst); break;
            case GgmlType.Q4_K: Q4K.Dequantize(src, dst); break;
            case GgmlType.Q6_K: Q6K.Dequantize(src, dst); break;
            default: throw new NotSupportedException($"ggml type {(int)type} is not supported");
        }
    }

    private static void CheckPlain(GgmlType type, int bytes, int n, int size)
    {
        if (bytes != (long)n * size) throw new ArgumentException($"{type}: source has {bytes} bytes, expected {(long)n * size}");
    }
}
