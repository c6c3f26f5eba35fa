// bitsandbytes NF4 (QLoRA 4-bit NormalFloat) blockwise quantization with optional double quantization of the
// absmax (functional.quantize_4bit / dequantize_4bit, csrc/kernels.cu). Scalar twin: Reference/Quant/Nf4Reference.
using TuneSharp.Tensors.Kernels.Reference.Quant;

namespace TuneSharp.Tensors.Kernels.Quant;

/// <summary>
/// Flattened tensor, blocks of <see cref="DefaultBlockSize"/> values, absmax per block, nearest NF4 code of x/absmax,
/// two codes per byte with the first element in the HIGH nibble; x̂ = code·absmax.
/// Double quantization (bnb_4bit_use_double_quant / compress_statistics): offset = mean(absmax); the centred
/// absmax − offset is quantized blockwise (256 per block) to 8 bits with the signed dynamic map
/// (<see cref="DynamicMapReference"/>); absmax̂ = code8[q]·absmax2[block] + offset.
/// </summary>
public static class Nf4
{
    public const int DefaultBlockSize = 64;

    /// <summary>Block size of the nested 8-bit quantization of the absmax values.</summary>
    public const int NestedBlockSize = 256;

    // Byte → (high code, low code) so dequantization is one lookup per output pair.
    private static readonly float[] PairTable = BuildPairTable();

    /// <summary>The 16 NF4 values, ascending (code 7 is exactly 0, code 15 is 1).</summary>
    public static ReadOnlySpan<float> Codes => Nf4Reference.Codes;

    /// <summary>The nearest NF4 code of a value already divided by its block absmax (bitsandbytes' exact thresholds).</summary>
    public static byte QuantizeValue(float normalized) => Nf4Reference.QuantizeValue(normalized);

    public static int BlockCount(int n, int blockSize = DefaultBlockSize) => Nf4Reference.BlockCount(n, blockSize);

    /// <summary>packed (n/2 bytes), absmax (ceil(n/blockSize)) ← src (n). Identical to the twin.</summary>
    public static void Quantize(ReadOnlySpan<float> src, Span<byte> packed, Span<float> absmax, int blockSize = DefaultBlockSize)
        => Nf4Reference.Quantize(src, packed, absmax, blockSize);

    /// <summary>dst (n) ← code[q]·absmax[block].</summary>
    public static void Dequantize(ReadOnlySpan<byte> packed, ReadOnlySpan<float> absmax, Span<float> dst, int blockSize = DefaultBlockSize)
    {
        Nf4Reference.Check(dst.Length, packed.Length, absmax.Length, blockSize);
        var table = PairTable;
        int half = blockSize / 2;
        for (int b = 0; b < absmax.Length; b++)
        {
            float a = absmax[b];
            int start = b * half, end = Math.Min(packed.Length, start + half);
            for (int j = start; j < end; j++)
            {
                int t = packed[j] * 2;
                dst[2 * j] = table[t] * a;
                dst[2 * j + 1] = table[t + 1] * a;
            }
        }
    }

    /// <summary>Σ dequantize(row)ᵢ·xᵢ for one row whose blocks start at the row start.</summary>
    public static float Dot(ReadOnlySpan<byte> packed, ReadOnlySpan<float> absmax, ReadOnlySpan<float> x, int blockSize = DefaultBlockSize)
    {
        Nf4Reference.Check(x.Length, packed.Length, absmax.Length, blockSize);
        var table = PairTable;
        int half = blockSize / 2;
        float total = 0;
        for (int b = 0; b < absmax.Length; b++)
        {
            int start = b * half, end = Math.Min(packed.Length, start + half);
            float s = 0;
            for (int j = start; j < end; j++)
            {
                int t = packed[j] * 2;
                s += table[t] * x[2 * j] + table[t + 1] * x[2 * j + 1];
            }
            total += s * absmax[b];
        }
        return total;
    }

    /// <summary>
    /// Double quantization of NF4 absmax values (bitsandbytes quantize_4bit with compress_statistics=True):
    /// offset = mean(absmax) (float32 result), then quantize_blockwise(absmax − offset, blocksize 256, dynamic map).
    /// qAbsmax: absmax.Length bytes; absmax2: ceil(absmax.Length/256) floats.
    /// </summary>
    public static float QuantizeAbsmax(ReadOnlySpan<float> absmax, Span<byte> qAbsmax, Span<float> absmax2)
    {
        double sum = 0;
        foreach (var a in absmax) sum += a;
        float offset = absmax.Length == 0 ? 0 : (float)(sum / absmax.Length);
        var centred = new float[absmax.Length];
        for (int i = 0; i < centred.Length; i++) centred[i] = absmax[i] - offset;
        DynamicMapReference.QuantizeBlockwise(centred, qAbsmax, absmax2, NestedBlockSize);
        return offset;
    }

    /// <summary>absmax (n) ← code8[q]·absmax2[block] + offset (bitsandbytes dequantize_4bit's nested step).</summary>
    public static void DequantizeAbsmax(ReadOnlySpan<byte> qAbsmax, ReadOnlySpan<float> absmax2, float offset, Span<float> absmax)
        => DequantizeAbsmax(qAbsmax, absmax2, offset, DynamicMapReference.SignedMap, absmax);

    /// <summary>As above with the checkpoint's own nested code table (quant_state "nested_quant_map").</summary>
    public static void DequantizeAbsmax(ReadOnlySpan<byte> qAbsmax, ReadOnlySpan<float> absmax2, float offset, ReadOnlySpan<float> code, Span<float> absmax)
    {
        DynamicMapReference.DequantizeBlockwise(qAbsmax, absmax2, code, absmax, NestedBlockSize);
        for (int i = 0; i < absmax.Length; i++) absmax[i] += offset;
    }

    private static float[] BuildPairTable()
    {
        var t = new float[512];
        var codes = Nf4Reference.Codes;
        for (int b = 0; b < 256; b++)
        {
            t[2 * b] = codes[b >> 4];
            t[2 * b + 1] = codes[b & 0x0F];
        }
        return t;
    }
}
