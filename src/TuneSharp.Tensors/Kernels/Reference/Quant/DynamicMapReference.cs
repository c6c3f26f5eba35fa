// Scalar twin of bitsandbytes blockwise 8-bit "dynamic" quantization (functional.create_dynamic_map(signed=True),
// quantize_blockwise / dequantize_blockwise, csrc/kernels.cu dQuantize<0>) — used for NF4 double quantization.
namespace TuneSharp.Tensors.Kernels.Reference.Quant;

/// <summary>
/// 256-entry signed dynamic code: for exponent i = 0..6, 2^i linearly spaced fractions (means of consecutive
/// points of linspace(0.1, 1, 2^i + 1)) scaled by 10^(i−6), both signs, plus 0 and 1, sorted ascending.
/// Values come from float32 arithmetic like torch's; torch.linspace's CPU kernel rounds a few points differently
/// (within 1 ulp, depending on the torch build), so bit-exact work should use the map stored with a checkpoint
/// (bitsandbytes saves it as quant_state "nested_quant_map"): every kernel here takes the code as a parameter.
/// </summary>
public static class DynamicMapReference
{
    private static readonly float[] Signed = CreateSignedMap();

    /// <summary>The signed dynamic map: 256 ascending float32 values from −0.9921875·… to 1 (code[255] = 1, one exact 0).</summary>
    public static ReadOnlySpan<float> SignedMap => Signed;

    /// <summary>
    /// create_dynamic_map(signed=True, max_exponent_bits=7, total_bits=8): torch.linspace's float32 formula
    /// (start + i·step for the first half, end − (steps−1−i)·step for the second), the float32 means
    /// (a + b) / 2 and the float32 product with the python scalar 10^(i−6). Matches torch within 1 ulp.
    /// </summary>
    public static float[] CreateSignedMap()
    {
        var data = new List<float>(256);
        const int maxExponentBits = 7, nonSignBits = 7;
        for (int i = 0; i < maxExponentBits; i++)
        {
            int fractionItems = (1 << (i + nonSignBits - maxExponentBits)) + 1;
            var boundaries = Linspace(0.1f, 1.0f, fractionItems);
            float scale = (float)Math.Pow(10, -(maxExponentBits - 1) + i);
            for (int k = 0; k + 1 < fractionItems; k++)
            {
                float mean = (boundaries[k] + boundaries[k + 1]) / 2.0f;
                data.Add(scale * mean);
            }
            for (int k = 0; k + 1 < fractionItems; k++)
            {
                float mean = (boundaries[k] + boundaries[k + 1]) / 2.0f;
                data.Add(-(scale * mean));
            }
        }
        data.Add(0);
        data.Add(1.0f);
        if (data.Count != 256) throw new InvalidOperationException($"dynamic map has {data.Count} entries");
        data.Sort();
        return data.ToArray();
    }

    /// <summary>torch.linspace for float32 on CPU (RangeFactoriesKernel.cpp): symmetric evaluation from both ends.</summary>
    internal static float[] Linspace(float start, float end, int steps)
    {
        var r = new float[steps];
        if (steps == 1) { r[0] = start; return r; }
        float step = (end - start) / (steps - 1);
        int halfway = steps / 2;
        for (int i = 0; i < steps; i++)
            r[i] = i < halfway ? start + step * i : end - step * (steps - i - 1);
        return r;
    }

    /// <summary>dQuantize&lt;0&gt;: binary search over the sorted 256-entry code, then the nearer neighbour by midpoint.</summary>
    public static byte QuantizeValue(ReadOnlySpan<float> code, float x)
    {
        int pivot = 127, upperPivot = 255, lowerPivot = 0;
        float lower = -1.0f, upper = 1.0f;
        float val = code[pivot];
        for (int i = 64; i > 0; i >>= 1)
        {
            if (x > val) { lowerPivot = pivot; lower = val; pivot += i; }
            else { upperPivot = pivot; upper = val; pivot -= i; }
            val = code[pivot];
        }
        if (upperPivot == 255) upper = code[upperPivot];
        if (lowerPivot == 0) lower = code[lowerPivot];
        if (x > val)
        {
            float midpoint = (upper + val) * 0.5f;
            return (byte)(x > midpoint ? upperPivot : pivot);
        }
        else
        {
            float midpoint = (lower + val) * 0.5f;
            return (byte)(x < midpoint ? lowerPivot : pivot);
        }
    }

    /// <summary>quantize_blockwise: per block absmax, q = nearest code of x·(1/absmax). dst: n bytes, absmax: ceil(n/blockSize).</summary>
    public static void QuantizeBlockwise(ReadOnlySpan<float> src, Span<byte> dst, Span<float> absmax, int blockSize = 256)
        => QuantizeBlockwise(src, dst, absmax, SignedMap, blockSize);

    /// <summary>quantize_blockwise with an explicit 256-entry ascending code table.</summary>
    public static void QuantizeBlockwise(ReadOnlySpan<float> src, Span<byte> dst, Span<float> absmax, ReadOnlySpan<float> code, int blockSize = 256)
    {
        Check(src.Length, dst.Length, absmax.Length, blockSize);
        CheckCode(code);
        for (int b = 0; b * blockSize < src.Length; b++)
        {
            var block = src.Slice(b * blockSize, Math.Min(blockSize, src.Length - b * blockSize));
            float amax = -float.MaxValue;
            foreach (var v in block) amax = MathF.Max(amax, MathF.Abs(v));
            absmax[b] = amax;
            float inv = 1.0f / amax;
            for (int j = 0; j < block.Length; j++) dst[b * blockSize + j] = QuantizeValue(code, block[j] * inv);
        }
    }

    /// <summary>dequantize_blockwise: x = code[q]·absmax[block].</summary>
    public static void DequantizeBlockwise(ReadOnlySpan<byte> src, ReadOnlySpan<float> absmax, Span<float> dst, int blockSize = 256)
        => DequantizeBlockwise(src, absmax, SignedMap, dst, blockSize);

    /// <summary>dequantize_blockwise with an explicit 256-entry code table.</summary>
    public static void DequantizeBlockwise(ReadOnlySpan<byte> src, ReadOnlySpan<float> absmax, ReadOnlySpan<float> code, Span<float> dst, int blockSize = 256)
    {
        Check(dst.Length, src.Length, absmax.Length, blockSize);
        CheckCode(code);
        for (int i = 0; i < dst.Length; i++) dst[i] = code[src[i]] * absmax[i / blockSize];
    }

    internal static void CheckCode(ReadOnlySpan<float> code)
    {
        if (code.Length != 256) throw new ArgumentException($"dynamic 8-bit: code table has {code.Length} entries, expected 256");
    }

    private static void Check(int n, int bytes, int absmaxCount, int blockSize)
    {
        if (blockSize <= 0) throw new ArgumentOutOfRangeException(nameof(blockSize), blockSize, "dynamic 8-bit: block size must be positive");
        QuantGuard.Bytes(bytes, n, "dynamic 8-bit", "quantized data");
        QuantGuard.Length(absmaxCount, (n + blockSize - 1) / blockSize, "dynamic 8-bit", "absmax");
    }
}
