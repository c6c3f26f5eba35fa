// Rotary position embedding in HF's rotate_half convention (modeling_llama.py apply_rotary_pos_emb: the head dim
// is split into a first and a second half, NOT interleaved pairs), with default and "llama3" inverse frequencies
// (transformers modeling_rope_utils _compute_default_rope_parameters / _compute_llama3_parameters).
// Scalar twin: Reference/RopeReference.cs.
using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace TuneSharp.Tensors.Kernels;

/// <summary>
/// x, y, dy, dx: (N tokens, heads, D) row-major with half = D/2; cos, sin: (N, half) — row t belongs to token t
/// (so left padding and KV-cache offsets are just the positions the table was built for).
/// Forward: y₁ = x₁·cos − x₂·sin, y₂ = x₂·cos + x₁·sin. Backward (transpose): dx₁ = dy₁·cos + dy₂·sin,
/// dx₂ = dy₂·cos − dy₁·sin. In place (y aliasing x) is allowed.
/// </summary>
public static unsafe class Rope
{
    /// <summary>
    /// inv_freq (D/2) in float32 exactly as torch computes it: 1 / (theta ** (arange(0, D, 2).float() / D)),
    /// then the llama3 adjustment when <paramref name="scaling"/> says so, op by op in float32.
    /// </summary>
    public static float[] InverseFrequencies(int headDim, double theta, RopeScaling? scaling = null)
    {
        if (headDim <= 0 || headDim % 2 != 0) throw new ArgumentException($"Rope.InverseFrequencies: head_dim must be a positive even number, got {headDim}.");
        if (!(theta > 0)) throw new ArgumentException($"Rope.InverseFrequencies: rope_theta must be > 0, got {theta}.");
        int half = headDim / 2;
        var inv = new float[half];
        float baseF = (float)theta;
        for (int i = 0; i < half; i++)
        {
            float exponent = (float)(2 * i) / headDim;
            // torch's float pow is within an ulp of the correctly rounded value; pow in double then round gets that.
            inv[i] = 1f / (float)Math.Pow(baseF, exponent);
        }
        if (scaling is null || scaling.RopeType == "default") return inv;
        if (scaling.RopeType != "llama3")
            throw new NotSupportedException($"Rope.InverseFrequencies: rope_scaling.rope_type '{scaling.RopeType}' is not supported (only 'default' and 'llama3').");
        if (!(scaling.HighFreqFactor > scaling.LowFreqFactor) || !(scaling.Factor > 0) || scaling.OriginalMaxPositionEmbeddings <= 0)
            throw new ArgumentException($"Rope.InverseFrequencies: invalid llama3 rope_scaling {scaling} (need factor > 0, high_freq_factor > low_freq_factor, original_max_position_embeddings > 0).");

        // Scalars are Python floats (double) in transformers; torch casts them to float32 when they meet a float32 tensor.
        double oldContext = scaling.OriginalMaxPositionEmbeddings;
        float lowWavelen = (float)(oldContext / scaling.LowFreqFactor);
        float highWavelen = (float)(oldContext / scaling.HighFreqFactor);
        float factor = (float)scaling.Factor;
        float lowF = (float)scaling.LowFreqFactor;
        float band = (float)(scaling.HighFreqFactor - scaling.LowFreqFactor);
        float twoPi = (float)(2 * Math.PI), oldContextF = (float)oldContext;
        for (int i = 0; i < half; i++)
        {
            // `scalar / tensor` in torch is reciprocal(tensor) * scalar: two roundings, mirrored here.
            float wavelen = (1f / inv[i]) * twoPi;
            float llama = wavelen > lowWavelen ? inv[i] / factor : inv[i];
            bool medium = !(wavelen < highWavelen) && !(wavelen > lowWavelen);
            if (medium)
            {
                float smooth = ((1f / wavelen) * oldContextF - lowF) / band;
                llama = (1f - smooth) * llama / factor + smooth * llama;
            }
            inv[i] = llama;
        }
        return inv;
    }

    /// <summary>cos, sin: (N, D/2) for token positions (N): angle = (float)position · inv_freq in float32, like HF.</summary>
    public static void CosSin(ReadOnlySpan<float> inverseFrequencies, ReadOnlySpan<int> positions, Span<float> cos, Span<float> sin)
    {
        int half = inverseFrequencies.Length;
        long n = (long)positions.Length * half;
        if (cos.Length != n || sin.Length != n)
            throw new ArgumentException($"Rope.CosSin: cos ({cos.Length}) and sin ({sin.Length}) must hold positions·D/2 = {positions.Length}·{half} values.");
        for (int t = 0; t < positions.Length; t++)
        {
            if (positions[t] < 0) throw new ArgumentException($"Rope.CosSin: position {positions[t]} at token {t} is negative.");
            float p = positions[t];
            for (int i = 0; i < half; i++)
            {
                float angle = p * inverseFrequencies[i];
                // Scalar on purpose: angles reach 10⁵ rad and MathF does full range reduction; the table is small.
                cos[t * half + i] = MathF.Cos(angle);
                sin[t * half + i] = MathF.Sin(angle);
            }
        }
    }

    /// <summary>y = rope(x) with per-token cos/sin rows (N, D/2) from <see cref="CosSin"/>.</summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin, Span<float> y, int tokens, int heads, int headDim)
        => Apply(x, cos, sin, y, tokens, heads, headDim, transpose: false, nameof(Forward));

    /// <summary>dx = ropeᵀ(dy): the inverse rotation (dx may alias dy).</summary>
    public static void Backward(ReadOnlySpan<float> dy, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin, Span<float> dx, int tokens, int heads, int headDim)
        => Apply(dy, cos, sin, dx, tokens, heads, headDim, transpose: true, nameof(Backward));

    /// <summary>y = rope(x) for tokens at <paramref name="positions"/> (N); builds the cos/sin rows in pooled buffers.</summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<int> positions, ReadOnlySpan<float> inverseFrequencies, Span<float> y, int heads, int headDim)
        => WithTable(x, positions, inverseFrequencies, y, heads, headDim, transpose: false);

    /// <summary>dx = ropeᵀ(dy) for tokens at <paramref name="positions"/> (N).</summary>
    public static void Backward(ReadOnlySpan<float> dy, ReadOnlySpan<int> positions, ReadOnlySpan<float> inverseFrequencies, Span<float> dx, int heads, int headDim)
        => WithTable(dy, positions, inverseFrequencies, dx, heads, headDim, transpose: true);

    private static void WithTable(ReadOnlySpan<float> x, ReadOnlySpan<int> positions, ReadOnlySpan<float> inv, Span<float> y, int heads, int headDim, bool transpose)
    {
        if (inv.Length * 2 != headDim) throw new ArgumentException($"Rope: inverse frequencies length {inv.Length} != head_dim/2 = {headDim / 2}.");
        int n = positions.Length * inv.Length;
        float[] cos = ArrayPool<float>.Shared.Rent(n), sin = ArrayPool<float>.Shared.Rent(n);
        try
        {
            CosSin(inv, positions, cos.AsSpan(0, n), sin.AsSpan(0, n));
            Apply(x, cos.AsSpan(0, n), sin.AsSpan(0, n), y, positions.Length, heads, headDim, transpose, transpose ? nameof(Backward) : nameof(Forward));
        }
        finally
        {
            ArrayPool<float>.Shared.Return(cos);
            ArrayPool<float>.Shared.Return(sin);
        }
    }

    private static void Apply(ReadOnlySpan<float> x, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin, Span<float> y, int tokens, int heads, int headDim, bool transpose, string op)
    {
        if (tokens < 0 || heads <= 0 || headDim <= 0 || headDim % 2 != 0)
            throw new ArgumentException($"Rope.{op}: need tokens ≥ 0, heads > 0 and an even head_dim > 0 (got {tokens}, {heads}, {headDim}).");
        long n = (long)tokens * heads * headDim;
        int half = headDim / 2;
        if (x.Length != n || y.Length != n)
            throw new ArgumentException($"Rope.{op}: input ({x.Length}) and output ({y.Length}) lengths must equal N·heads·D = {tokens}·{heads}·{headDim}.");
        if (cos.Length != (long)tokens * half || sin.Length != (long)tokens * half)
            throw new ArgumentException($"Rope.{op}: cos ({cos.Length}) and sin ({sin.Length}) must be (N, D/2) = {tokens}·{half}.");
        Elementwise.CheckOverlap(x, y, "Rope." + op);
        fixed (float* px = x, pc = cos, ps = sin, py = y)
        {
            nint a = (nint)px, c = (nint)pc, s = (nint)ps, b = (nint)py;
            ElementwiseParallel.For(tokens, 3L * heads * headDim, (t0, t1) =>
            {
                for (int t = t0; t < t1; t++)
                {
                    float* ct = (float*)c + (long)t * half, st = (float*)s + (long)t * half;
                    for (int h = 0; h < heads; h++)
                    {
                        long o = ((long)t * heads + h) * headDim;
                        RotateHead((float*)a + o, ct, st, (float*)b + o, half, transpose);
                    }
                }
            });
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RotateHead(float* x, float* cos, float* sin, float* y, int half, bool transpose)
    {
        // Forward uses sin, the transpose −sin: y₁ = x₁c − x₂s', y₂ = x₂c + x₁s' with s' = ±sin.
        float* x2 = x + half, y2 = y + half;
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= half - 16; i += 16)
            {
                var a = Vector512.Load(x + i);
                var b = Vector512.Load(x2 + i);
                var c = Vector512.Load(cos + i);
                var s = Vector512.Load(sin + i);
                if (transpose) s = -s;
                Vector512.Store(a * c - b * s, y + i);
                Vector512.Store(b * c + a * s, y2 + i);
            }
        else if (Vector256.IsHardwareAccelerated)
            for (; i <= half - 8; i += 8)
            {
                var a = Vector256.Load(x + i);
                var b = Vector256.Load(x2 + i);
                var c = Vector256.Load(cos + i);
                var s = Vector256.Load(sin + i);
                if (transpose) s = -s;
                Vector256.Store(a * c - b * s, y + i);
                Vector256.Store(b * c + a * s, y2 + i);
            }
        for (; i < half; i++)
        {
            float a = x[i], b = x2[i], c = cos[i], s = transpose ? -sin[i] : sin[i];
            y[i] = a * c - b * s;
            y2[i] = b * c + a * s;
        }
    }
}
