// 8-bit AdamW with bitsandbytes semantics (bnb.optim.AdamW8bit: optim_bits 8, blockwise, min_8bit_size 4096;
// csrc kernels kOptimizerStatic8bit2StateBlockwise<ADAM> and kOptimizer32bit2State<ADAM>). Dettmers et al. 2022.
using System.Runtime.InteropServices;
using TuneSharp.Autograd;
using TuneSharp.Tensors.IO;

namespace TuneSharp.Nn.Optim;

/// <summary>
/// Parameters with ≥ <see cref="MinBlockwiseSize"/> elements keep m and v as 8-bit codes in blocks of
/// <see cref="BlockSize"/> with a float absmax per block (m: signed dynamic map, v: unsigned map); smaller ones keep F32
/// state and take bnb's 32-bit Adam update. Per element, in float32 like the CUDA kernels:
/// m = m̂·β1 + (1−β1)·g, v = v̂·β2 + (1−β2)·g·g (m̂, v̂ dequantized), p += (−lr·√(1−β2ᵗ)/(1−β1ᵗ))·m/(√v + eps·√(1−β2ᵗ)),
/// then decoupled decay p *= 1 − lr·wd (after the update, unlike torch); the new block absmax is max|m|, max|v|, and the
/// codes are re-quantized (quantize_2D) with m's sign preserved. Non-finite gradients leave the parameter unchanged and
/// zero the moments, as the kernel does.
/// </summary>
public sealed class AdamW8bitOptimizer : Optimizer
{
    public const int BlockSize = 256;
    public const int MinBlockwiseSize = 4096;

    private readonly State[] _states;

    public AdamW8bitOptimizer(IEnumerable<(string Name, Variable Parameter)> parameters, OptimizerOptions options)
        : base(parameters, options)
    {
        _states = Parameters.Select(p => new State((int)p.Parameter.Shape.ElementCount)).ToArray();
    }

    public override string TypeName => "adamw_8bit";

    /// <summary>Whether parameter <paramref name="index"/> keeps 8-bit state.</summary>
    public bool IsBlockwise(int index) => _states[index].Blockwise;

    /// <summary>Dequantized (or F32) first and second moments of parameter <paramref name="index"/>.</summary>
    public (float[] M, float[] V) Moments(int index)
    {
        var s = _states[index];
        if (!s.Blockwise) return ((float[])s.M!.Clone(), (float[])s.V!.Clone());
        var m = new float[s.N];
        var v = new float[s.N];
        for (int i = 0; i < s.N; i++)
        {
            m[i] = DynamicQuantMap.Signed[s.Q1![i]] * s.Absmax1![i / BlockSize];
            v[i] = DynamicQuantMap.Unsigned[s.Q2![i]] * s.Absmax2![i / BlockSize];
        }
        return (m, v);
    }

    protected override void Update(int index, Span<float> p, ReadOnlySpan<float> g, double weightDecay)
    {
        var s = _states[index];
        float beta1 = (float)Options.Beta1, beta2 = (float)Options.Beta2, eps = (float)Options.Epsilon;
        float lr = (float)LearningRate, wd = (float)weightDecay;
        int step = checked((int)StepCount);
        float correction1 = 1.0f - MathF.Pow(beta1, step);
        float correction2 = MathF.Sqrt(1.0f - MathF.Pow(beta2, step));
        float stepSize = -lr * correction2 / correction1;
        if (!s.Blockwise)
        {
            var m = s.M!;
            var v = s.V!;
            for (int i = 0; i < s.N; i++)
            {
                float gi = g[i];
                m[i] = m[i] * beta1 + (1.0f - beta1) * gi;
                v[i] = v[i] * beta2 + (1.0f - beta2) * (gi * gi);
                float pi = p[i] + stepSize * (m[i] / (MathF.Sqrt(v[i]) + eps * correction2));
                if (wd > 0.0f) pi *= 1.0f - lr * wd;
                p[i] = pi;
            }
            return;
        }
        var code1 = DynamicQuantMap.Signed;
        var code2 = DynamicQuantMap.Unsigned;
        Span<float> s1 = stackalloc float[BlockSize];
        Span<float> s2 = stackalloc float[BlockSize];
        for (int b0 = 0, blk = 0; b0 < s.N; b0 += BlockSize, blk++)
        {
            int count = Math.Min(BlockSize, s.N - b0);
            float a1 = s.Absmax1![blk], a2 = s.Absmax2![blk];
            float max1 = -float.MaxValue, max2 = -float.MaxValue;
            for (int j = 0; j < count; j++)
            {
                int i = b0 + j;
                float gi = g[i];
                if (float.IsFinite(gi))
                {
                    float v = code2[s.Q2![i]] * a2;
                    v = v * beta2 + (1.0f - beta2) * gi * gi;
                    float m = code1[s.Q1![i]] * a1;
                    m = m * beta1 + (1.0f - beta1) * gi;
                    s1[j] = m;
                    s2[j] = v;
                }
                else
                {
                    s1[j] = 0;
                    s2[j] = 0;
                }
                max1 = MathF.Max(max1, MathF.Abs(s1[j]));
                max2 = MathF.Max(max2, MathF.Abs(s2[j]));
            }
            s.Absmax1![blk] = max1;
            s.Absmax2![blk] = max2;
            for (int j = 0; j < count; j++)
            {
                int i = b0 + j;
                if (!float.IsFinite(g[i])) continue;
                float pi = p[i] + stepSize * (s1[j] / (MathF.Sqrt(s2[j]) + correction2 * eps));
                if (wd > 0.0f) pi *= 1.0f - lr * wd;
                p[i] = pi;
            }
            for (int j = 0; j < count; j++)
            {
                int i = b0 + j;
                byte c1 = DynamicQuantMap.Quantize(code1, s1[j] / max1, signed: true);
                byte c2 = DynamicQuantMap.Quantize(code2, s2[j] / max2, signed: false);
                // Keep m's sign through quantization (the kernel nudges the code one step toward the right side).
                if (float.IsNegative(code1[c1]) != float.IsNegative(s1[j])) c1 = (byte)(s1[j] > 0.0f ? c1 + 1 : c1 - 1);
                s.Q1![i] = c1;
                s.Q2![i] = c2;
            }
        }
    }

    protected override IEnumerable<(string Key, string DType, long[] Shape, ReadOnlyMemory<byte> Data)> StateTensors()
    {
        for (int i = 0; i < Parameters.Count; i++)
        {
            var s = _states[i];
            string n = Parameters[i].Name;
            if (s.Blockwise)
            {
                yield return (n + ".state1", "U8", [s.N], s.Q1!.ToArray());
                yield return (n + ".state2", "U8", [s.N], s.Q2!.ToArray());
                yield return (n + ".absmax1", "F32", [s.Absmax1!.Length], MemoryMarshal.AsBytes(s.Absmax1.AsSpan()).ToArray());
                yield return (n + ".absmax2", "F32", [s.Absmax2!.Length], MemoryMarshal.AsBytes(s.Absmax2.AsSpan()).ToArray());
            }
            else
            {
                yield return (n + ".exp_avg", "F32", [s.N], MemoryMarshal.AsBytes(s.M!.AsSpan()).ToArray());
                yield return (n + ".exp_avg_sq", "F32", [s.N], MemoryMarshal.AsBytes(s.V!.AsSpan()).ToArray());
            }
        }
    }

    protected override void RestoreState(SafeTensorsFile file)
    {
        for (int i = 0; i < Parameters.Count; i++)
        {
            var s = _states[i];
            string n = Parameters[i].Name;
            if (s.Blockwise)
            {
                ReadInto(file, n + ".state1", s.Q1);
                ReadInto(file, n + ".state2", s.Q2);
                ReadInto(file, n + ".absmax1", MemoryMarshal.AsBytes(s.Absmax1.AsSpan()));
                ReadInto(file, n + ".absmax2", MemoryMarshal.AsBytes(s.Absmax2.AsSpan()));
            }
            else
            {
                ReadInto(file, n + ".exp_avg", MemoryMarshal.AsBytes(s.M.AsSpan()));
                ReadInto(file, n + ".exp_avg_sq", MemoryMarshal.AsBytes(s.V.AsSpan()));
            }
        }
    }

    /// <summary>bnb's initial 8-bit state: all codes 0 and absmax 0 (so m̂ = v̂ = 0), or F32 zeros below min_8bit_size.</summary>
    private sealed class State
    {
        public State(int n)
        {
            N = n;
            Blockwise = n >= MinBlockwiseSize;
            if (Blockwise)
            {
                int blocks = (n + BlockSize - 1) / BlockSize;
                Q1 = new byte[n];
                Q2 = new byte[n];
                Absmax1 = new float[blocks];
                Absmax2 = new float[blocks];
            }
            else
            {
                M = new float[n];
                V = new float[n];
            }
        }

        public int N { get; }
        public bool Blockwise { get; }
        public byte[]? Q1 { get; }
        public byte[]? Q2 { get; }
        public float[]? Absmax1 { get; }
        public float[]? Absmax2 { get; }
        public float[]? M { get; }
        public float[]? V { get; }
    }
}
