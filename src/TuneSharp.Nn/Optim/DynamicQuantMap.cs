// bitsandbytes' 8-bit dynamic (tree) quantization maps and the quantize_2D search of its blockwise optimizer kernels
// (functional.create_dynamic_map; csrc/kernels.cu quantize_2D) — Dettmers et al. 2022, "8-bit Optimizers via Block-wise Quantization".
using TuneSharp.Tensors.Kernels.Reference.Quant;

namespace TuneSharp.Nn.Optim;

/// <summary>
/// Signed map (first moment): 256 ascending values in [−1, 1] (<see cref="DynamicMapReference.CreateSignedMap"/>).
/// Unsigned map (second moment): for exponent i = 0..6, 2^(i+1) means of consecutive points of linspace(0.1, 1, 2^(i+1)+1)
/// scaled by 10^(i−6), plus 0 and 1 — 256 values in [0, 1].
/// </summary>
public static class DynamicQuantMap
{
    public static float[] Signed { get; } = DynamicMapReference.CreateSignedMap();

    public static float[] Unsigned { get; } = CreateUnsignedMap();

    /// <summary>create_dynamic_map(signed=False, max_exponent_bits=7, total_bits=8) in float32 arithmetic.</summary>
    public static float[] CreateUnsignedMap()
    {
        var data = new List<float>(256);
        const int maxExponentBits = 7, nonSignBits = 7;
        for (int i = 0; i < maxExponentBits; i++)
        {
            int fractionItems = (1 << (i + nonSignBits - maxExponentBits + 1)) + 1;
            var b = Linspace(0.1f, 1.0f, fractionItems);
            float scale = (float)Math.Pow(10, -(maxExponentBits - 1) + i);
            for (int k = 0; k + 1 < fractionItems; k++) data.Add(scale * ((b[k] + b[k + 1]) / 2.0f));
        }
        data.Add(0);
        data.Add(1.0f);
        if (data.Count != 256) throw new InvalidOperationException($"unsigned dynamic map has {data.Count} entries");
        data.Sort();
        return data.ToArray();
    }

    /// <summary>torch.linspace float32 CPU formula (symmetric from both ends).</summary>
    private static float[] Linspace(float start, float end, int steps)
    {
        var r = new float[steps];
        float step = (end - start) / (steps - 1);
        int halfway = steps / 2;
        for (int i = 0; i < steps; i++) r[i] = i < halfway ? start + step * i : end - step * (steps - i - 1);
        return r;
    }

    /// <summary>
    /// quantize_2D&lt;SIGNED&gt;: 7-step binary search from pivot 127 over the sorted code, then the nearer of the final
    /// pivot and its bracketing neighbour by midpoint; the brackets start at (−1 or 0, 1) and are not re-read from the code.
    /// </summary>
    public static byte Quantize(ReadOnlySpan<float> code, float x, bool signed)
    {
        int pivot = 127, upperPivot = 255, lowerPivot = 0;
        float lower = signed ? -1.0f : 0.0f, upper = 1.0f;
        float val = code[pivot];
        for (int i = 64; i > 0; i >>= 1)
        {
            if (x > val) { lowerPivot = pivot; lower = val; pivot += i; }
            else { upperPivot = pivot; upper = val; pivot -= i; }
            val = code[pivot];
        }
        if (x > val)
        {
            float mid = (upper + val) * 0.5f;
            return (byte)(x > mid ? upperPivot : pivot);
        }
        else
        {
            float mid = (lower + val) * 0.5f;
            return (byte)(x < mid ? lowerPivot : pivot);
        }
    }
}
