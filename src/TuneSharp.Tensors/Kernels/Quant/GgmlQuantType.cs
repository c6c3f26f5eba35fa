// The GGUF/ggml tensor types TuneSharp can dequantize, with their ggml_type ids and block geometry (ggml.h).
namespace TuneSharp.Tensors.Kernels.Quant;

/// <summary>ggml_type ids as stored in GGUF tensor infos.</summary>
public enum GgmlQuantType
{
    F32 = 0,
    F16 = 1,
    Q4_0 = 2,
    Q8_0 = 8,
    Q4_K = 12,
    Q6_K = 14,
    BF16 = 30,
}

/// <summary>Block geometry and a type-dispatched row dequantizer for GGUF tensors.</summary>
public static class GgmlQuant
{
    /// <summary>Values per block (1 for plain float types).</summary>
    public static int BlockSize(GgmlQuantType type) => type switch
    {
        GgmlQuantType.F32 or GgmlQuantType.F16 or GgmlQuantType.BF16 => 1,
        GgmlQuantType.Q4_0 => Q4_0.BlockSize,
        GgmlQuantType.Q8_0 => Q8_0.BlockSize,
        GgmlQuantType.Q4_K => Q4K.BlockSize,
        GgmlQuantType.Q6_K => Q6K.BlockSize,
        _ => throw new NotSupportedException($"ggml type {(int)type} is not supported"),
    };

    /// <summary>Bytes per block.</summary>
    public static int BlockBytes(GgmlQuantType type) => type switch
    {
        GgmlQuantType.F32 => 4,
        GgmlQuantType.F16 or GgmlQuantType.BF16 => 2,
        GgmlQuantType.Q4_0 => Q4_0.BlockBytes,
        GgmlQuantType.Q8_0 => Q8_0.BlockBytes,
        GgmlQuantType.Q4_K => Q4K.BlockBytes,
        GgmlQuantType.Q6_K => Q6K.BlockBytes,
        _ => throw new NotSupportedException($"ggml type {(int)type} is not supported"),
    };

    /// <summary>Bytes of <paramref name="n"/> values; throws when n is not a whole number of blocks.</summary>
    public static long ByteCount(GgmlQuantType type, long n)
    {
        int bs = BlockSize(type);
        if (n % bs != 0) throw new ArgumentException($"{type}: {n} values is not a multiple of the block size {bs}");
        return n / bs * BlockBytes(type);
    }

    /// <summary>dst (n) ← the values encoded in src (little-endian, as in a GGUF file).</summary>
    public static void Dequantize(GgmlQuantType type, ReadOnlySpan<byte> src, Span<float> dst)
    {
        switch (type)
        {
            case GgmlQuantType.F32:
                CheckPlain(type, src.Length, dst.Length, 4);
                for (int i = 0; i < dst.Length; i++) dst[i] = BitConverter.Int32BitsToSingle(System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(src[(4 * i)..]));
                break;
            case GgmlQuantType.F16:
                CheckPlain(type, src.Length, dst.Length, 2);
                for (int i = 0; i < dst.Length; i++) dst[i] = (float)BitConverter.UInt16BitsToHalf((ushort)(src[2 * i] | src[2 * i + 1] << 8));
                break;
            case GgmlQuantType.BF16:
                CheckPlain(type, src.Length, dst.Length, 2);
                for (int i = 0; i < dst.Length; i++) dst[i] = BitConverter.Int32BitsToSingle((src[2 * i] | src[2 * i + 1] << 8) << 16);
                break;
            case GgmlQuantType.Q4_0: Q4_0.Dequantize(src, dst); break;
            case GgmlQuantType.Q8_0: Q8_0.Dequantize(src, dst); break;
            case GgmlQuantType.Q4_K: Q4K.Dequantize(src, dst); break;
            case GgmlQuantType.Q6_K: Q6K.Dequantize(src, dst); break;
            default: throw new NotSupportedException($"ggml type {(int)type} is not supported");
        }
    }

    private static void CheckPlain(GgmlQuantType type, int bytes, int n, int size)
    {
        if (bytes != (long)n * size) throw new ArgumentException($"{type}: source has {bytes} bytes, expected {(long)n * size}");
    }
}
