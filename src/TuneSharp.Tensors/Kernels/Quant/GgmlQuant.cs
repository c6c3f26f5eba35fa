// Block geometry and row dequantization of the ggml types TuneSharp reads (ggml.c type_traits: blck_size, type_size).
using TuneSharp.Tensors.IO.Gguf;
using TuneSharp.Tensors.Kernels.Reference.Quant;

namespace TuneSharp.Tensors.Kernels.Quant;

/// <summary>Block geometry and a type-dispatched row dequantizer for GGUF tensors.</summary>
public static class GgmlQuant
{
    /// <summary>Whether <see cref="Dequantize"/> reads this type.</summary>
    public static bool CanDequantize(GgmlType type) => type is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16
        or GgmlType.Q4_0 or GgmlType.Q5_0 or GgmlType.Q5_1 or GgmlType.Q8_0 or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K;

    /// <summary>Whether <see cref="Quantize"/> writes this type (the types of `tunesharp export --to gguf`).</summary>
    public static bool CanQuantize(GgmlType type) => CanDequantize(type);

    /// <summary>Values per block (1 for plain float types).</summary>
    public static int BlockSize(GgmlType type) => type switch
    {
        GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 => 1,
        GgmlType.Q4_0 => Q4_0.BlockSize,
        GgmlType.Q5_0 or GgmlType.Q5_1 => Q5Reference.Block,
        GgmlType.Q8_0 => Q8_0.BlockSize,
        GgmlType.Q4_K or GgmlType.Q5_K => Q4K.BlockSize,
        GgmlType.Q6_K => Q6K.BlockSize,
        _ => throw new NotSupportedException($"ggml type {(int)type} is not supported"),
    };

    /// <summary>Bytes per block.</summary>
    public static int BlockBytes(GgmlType type) => type switch
    {
        GgmlType.F32 => 4,
        GgmlType.F16 or GgmlType.BF16 => 2,
        GgmlType.Q4_0 => Q4_0.BlockBytes,
        GgmlType.Q5_0 => Q5Reference.Q5_0Bytes,
        GgmlType.Q5_1 => Q5Reference.Q5_1Bytes,
        GgmlType.Q8_0 => Q8_0.BlockBytes,
        GgmlType.Q4_K => Q4K.BlockBytes,
        GgmlType.Q5_K => KQuantReference.Q5KBytes,
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
            case GgmlType.Q5_0: Q5Reference.DequantizeQ5_0(src, dst); break;
            case GgmlType.Q5_1: Q5Reference.DequantizeQ5_1(src, dst); break;
            case GgmlType.Q8_0: Q8_0.Dequantize(src, dst); break;
            case GgmlType.Q4_K: Q4K.Dequantize(src, dst); break;
            case GgmlType.Q5_K: KQuantReference.DequantizeQ5K(src, dst); break;
            case GgmlType.Q6_K: Q6K.Dequantize(src, dst); break;
            default: throw new NotSupportedException($"ggml type {(int)type} is not supported");
        }
    }

    /// <summary>
    /// dst ← src (n values, whole blocks) encoded as <paramref name="type"/>, bit-identical to ggml_quantize_chunk without an
    /// importance matrix (F16 and BF16 round to nearest even, as ggml's fp32→fp16/bf16). Non-finite values are refused:
    /// ggml would write garbage scales for them, and a weight that is NaN or ±∞ is a bug upstream.
    /// </summary>
    /// <exception cref="ArgumentException">src holds a NaN or infinity (the message gives its index), or the lengths do not fit.</exception>
    public static void Quantize(GgmlType type, ReadOnlySpan<float> src, Span<byte> dst)
    {
        int bad = FirstNonFinite(src);
        if (bad >= 0) throw new ArgumentException($"{type}: value {src[bad]} at index {bad} is not finite; refusing to quantize");
        if (dst.Length != ByteCount(type, src.Length)) throw new ArgumentException($"{type}: destination has {dst.Length} bytes, expected {ByteCount(type, src.Length)}");
        switch (type)
        {
            case GgmlType.F32:
                for (int i = 0; i < src.Length; i++) System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(dst[(4 * i)..], src[i]);
                break;
            case GgmlType.F16:
                for (int i = 0; i < src.Length; i++) System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(dst[(2 * i)..], BitConverter.HalfToUInt16Bits((Half)src[i]));
                break;
            case GgmlType.BF16:
                for (int i = 0; i < src.Length; i++) System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(dst[(2 * i)..], BFloat16.RoundFromSingle(src[i]));
                break;
            case GgmlType.Q4_0: GgmlQuantReference.QuantizeQ4_0(src, dst); break;
            case GgmlType.Q5_0: Q5Reference.QuantizeQ5_0(src, dst); break;
            case GgmlType.Q5_1: Q5Reference.QuantizeQ5_1(src, dst); break;
            case GgmlType.Q8_0: GgmlQuantReference.QuantizeQ8_0(src, dst); break;
            case GgmlType.Q4_K: KQuantReference.QuantizeQ4K(src, dst); break;
            case GgmlType.Q5_K: KQuantReference.QuantizeQ5K(src, dst); break;
            case GgmlType.Q6_K: KQuantReference.QuantizeQ6K(src, dst); break;
            default: throw new NotSupportedException($"ggml type {type} cannot be written (F32, F16, BF16, Q8_0, Q5_1, Q5_0, Q4_0, Q4_K, Q5_K, Q6_K can)");
        }
    }

    /// <summary>Index of the first NaN or infinity, or −1.</summary>
    public static int FirstNonFinite(ReadOnlySpan<float> x)
    {
        for (int i = 0; i < x.Length; i++)
            if (!float.IsFinite(x[i])) return i;
        return -1;
    }

    private static void CheckPlain(GgmlType type, int bytes, int n, int size)
    {
        if (bytes != (long)n * size) throw new ArgumentException($"{type}: source has {bytes} bytes, expected {(long)n * size}");
    }
}
