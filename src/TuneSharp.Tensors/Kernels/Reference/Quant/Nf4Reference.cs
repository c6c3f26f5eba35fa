// Scalar twin of bitsandbytes NF4 (QLoRA) blockwise 4-bit quantization: csrc/kernels.cu kQuantizeBlockwise /
// kDequantizeBlockwise with DATA_TYPE = NF4, dQuantizeNF4 (decision tree) and dDequantizeNF4 (code table).
namespace TuneSharp.Tensors.Kernels.Reference.Quant;

/// <summary>
/// Layout (bitsandbytes quantize_4bit, quant_type "nf4"): the tensor is flattened, split in blocks of
/// <c>blockSize</c> (64 by default; the last block may be partial), absmax[b] = max |x| over block b (float32),
/// every value is quantized to the nearest of 16 NF4 codes after multiplying by 1/absmax, and two codes share a
/// byte with the FIRST element in the HIGH nibble. Dequantization: x = code[q]·absmax.
/// </summary>
public static class Nf4Reference
{
    /// <summary>The 16 NF4 values (bitsandbytes dDequantizeNF4 / functional.get_4bit_type("nf4")).</summary>
    public static ReadOnlySpan<float> Codes =>
    [
        -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
        -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
        0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
        0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f,
    ];

    /// <summary>
    /// dQuantizeNF4: a binary tree over the midpoints between neighbouring codes; x exactly on a midpoint goes to
    /// the LOWER code (every test is "x &gt; threshold"), and NaN (0·∞ for an all-zero block) falls through to code 0.
    /// </summary>
    public static byte QuantizeValue(float x)
    {
        if (x > 0.03979014977812767f)
        {
            if (x > 0.3893125355243683f)
            {
                if (x > 0.6427869200706482f) return x > 0.8614784181118011f ? (byte)0b1111 : (byte)0b1110;
                return x > 0.5016634166240692f ? (byte)0b1101 : (byte)0b1100;
            }
            if (x > 0.2035212516784668f) return x > 0.2920137718319893f ? (byte)0b1011 : (byte)0b1010;
            return x > 0.1202552504837513f ? (byte)0b1001 : (byte)0b1000;
        }
        if (x > -0.33967943489551544f)
        {
            if (x > -0.13791173323988914f) return x > -0.045525018125772476f ? (byte)0b0111 : (byte)0b0110;
            return x > -0.23460740596055984f ? (byte)0b0101 : (byte)0b0100;
        }
        if (x > -0.6106329262256622f) return x > -0.4599952697753906f ? (byte)0b0011 : (byte)0b0010;
        return x > -0.8480964004993439f ? (byte)0b0001 : (byte)0b0000;
    }

    /// <summary>Number of absmax values (blocks) for <paramref name="n"/> elements.</summary>
    public static int BlockCount(int n, int blockSize) => (n + blockSize - 1) / blockSize;

    /// <summary>packed: (n/2) bytes, absmax: ceil(n/blockSize) floats. n and blockSize must be even.</summary>
    public static void Quantize(ReadOnlySpan<float> src, Span<byte> packed, Span<float> absmax, int blockSize = 64)
    {
        Check(src.Length, packed.Length, absmax.Length, blockSize);
        for (int b = 0; b * blockSize < src.Length; b++)
        {
            var block = src.Slice(b * blockSize, Math.Min(blockSize, src.Length - b * blockSize));
            float amax = -float.MaxValue;
            foreach (var v in block) amax = MathF.Max(amax, MathF.Abs(v));
            absmax[b] = amax;
            float inv = 1.0f / amax; // the kernel multiplies by the reciprocal, it does not divide
            for (int j = 0; j < block.Length; j += 2)
            {
                int hi = QuantizeValue(block[j] * inv);
                int lo = QuantizeValue(block[j + 1] * inv);
                packed[(b * blockSize + j) / 2] = (byte)((hi << 4) | lo);
            }
        }
    }

    public static void Dequantize(ReadOnlySpan<byte> packed, ReadOnlySpan<float> absmax, Span<float> dst, int blockSize = 64)
    {
        Check(dst.Length, packed.Length, absmax.Length, blockSize);
        for (int i = 0; i < dst.Length; i += 2)
        {
            float a = absmax[i / blockSize];
            byte q = packed[i / 2];
            dst[i] = Codes[q >> 4] * a;
            dst[i + 1] = Codes[q & 0x0F] * a;
        }
    }

    internal static void Check(int n, int packedBytes, int absmaxCount, int blockSize)
    {
        if (blockSize <= 0 || blockSize % 2 != 0) throw new ArgumentOutOfRangeException(nameof(blockSize), blockSize, "NF4: block size must be positive and even");
        if (n % 2 != 0) throw new ArgumentException($"NF4: element count {n} must be even (two codes per byte)");
        QuantGuard.Bytes(packedBytes, n / 2, "NF4", "packed data");
        QuantGuard.Length(absmaxCount, BlockCount(n, blockSize), "NF4", "absmax");
    }
}
