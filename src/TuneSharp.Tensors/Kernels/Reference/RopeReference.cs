// Scalar twin of Kernels/Rope (HF rotate_half RoPE, modeling_llama.py apply_rotary_pos_emb), generic over the float type.
using System.Numerics;

namespace TuneSharp.Tensors.Kernels.Reference;

/// <summary>
/// x, y: (N, heads, D); positions: (N); inverseFrequencies: (D/2). cos/sin are computed inline per element:
/// angle = position·inv_freq[i], y[i] = x[i]·cos − x[i+half]·sin, y[i+half] = x[i+half]·cos + x[i]·sin.
/// </summary>
public static class RopeReference
{
    public static void Forward<T>(ReadOnlySpan<T> x, ReadOnlySpan<int> positions, ReadOnlySpan<T> inverseFrequencies, Span<T> y, int heads, int headDim)
        where T : IFloatingPointIeee754<T> => Rotate(x, positions, inverseFrequencies, y, heads, headDim, T.One);

    /// <summary>The transpose rotation (rotation by −angle).</summary>
    public static void Backward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<int> positions, ReadOnlySpan<T> inverseFrequencies, Span<T> dx, int heads, int headDim)
        where T : IFloatingPointIeee754<T> => Rotate(dy, positions, inverseFrequencies, dx, heads, headDim, -T.One);

    private static void Rotate<T>(ReadOnlySpan<T> x, ReadOnlySpan<int> positions, ReadOnlySpan<T> inv, Span<T> y, int heads, int headDim, T sign)
        where T : IFloatingPointIeee754<T>
    {
        int half = headDim / 2;
        for (int t = 0; t < positions.Length; t++)
        {
            T p = T.CreateTruncating(positions[t]);
            for (int h = 0; h < heads; h++)
            {
                int o = (t * heads + h) * headDim;
                for (int i = 0; i < half; i++)
                {
                    T angle = p * inv[i];
                    T c = T.Cos(angle), s = sign * T.Sin(angle);
                    T a = x[o + i], b = x[o + half + i];
                    y[o + i] = a * c - b * s;
                    y[o + half + i] = b * c + a * s;
                }
            }
        }
    }
}
