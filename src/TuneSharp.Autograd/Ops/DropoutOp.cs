// Inverted dropout (torch.nn.functional.dropout, training mode) with a counter-based mask that is never stored.
using System.Runtime.Intrinsics;
using TuneSharp.Tensors.Threading;

namespace TuneSharp.Autograd.Ops;

public static class DropoutOp
{
    // Below this many elements one thread is faster than a fork/join.
    private const int ParallelThreshold = 1 << 16;

    /// <summary>
    /// y = x · m / (1 − p), m[i] = (U(key, i) ≥ p) with U = <see cref="CounterRng.Uniform"/>. Applied whenever called —
    /// the module decides train vs eval (a checkpoint's no-grad forward must still drop). p = 0 returns x itself.
    /// The stream comes from <see cref="Tape.NextRandomStream"/>, so recomputation reproduces the mask.
    /// </summary>
    public static Variable Dropout(this Tape tape, Variable x, float p, string? name = null)
    {
        if (!(p >= 0f && p < 1f)) throw new ArgumentOutOfRangeException(nameof(p), $"Dropout: p = {p} must be in [0, 1)");
        if (p == 0f) return x;
        OpUtil.RequireF32(x, "Dropout", "input");
        ulong key = CounterRng.Key(tape.Seed, tape.NextRandomStream());
        bool needs = tape.NeedsGrad(x);
        var y = AutogradMemory.AllocateF32(x.Shape);
        Apply(key, p, x.Value.Span, y.Span, accumulate: false);
        var output = tape.CreateOutput(y, needs, name);
        if (needs) tape.Record(new Node(output, x, key, p));
        return output;
    }

    /// <summary>dst (+)= src · mask / (1 − p); the mask is regenerated from the key, never stored.</summary>
    private static unsafe void Apply(ulong key, float p, ReadOnlySpan<float> src, Span<float> dst, bool accumulate)
    {
        // Keep iff the top 24 bits, as an integer, reach p·2²⁴ — the same test as Uniform(i) ≥ p, without floats.
        uint threshold = (uint)MathF.Ceiling(p * (1 << 24));
        float scale = 1f / (1f - p);
        int n = src.Length;
        fixed (float* ps = src, pd = dst)
        {
            nint s = (nint)ps, d = (nint)pd;
            if (n < ParallelThreshold || KernelPool.Threads == 1) Run((float*)s, (float*)d, 0, n, key, threshold, scale, accumulate);
            else
            {
                int blocks = (n + 4095) / 4096;
                KernelPool.For(blocks, (b0, b1) => Run((float*)s, (float*)d, b0 * 4096, Math.Min(n, b1 * 4096), key, threshold, scale, accumulate));
            }
        }
    }

    private static unsafe void Run(float* src, float* dst, int begin, int end, ulong key, uint threshold, float scale, bool accumulate)
    {
        int i = begin;
        if (Vector256.IsHardwareAccelerated)
        {
            var lanes = Vector256.Create(0u, 1, 2, 3, 4, 5, 6, 7);
            var vt = Vector256.Create(threshold);
            var vs = Vector256.Create(scale);
            for (; i + 8 <= end; i += 8)
            {
                var bits = Vector256.ShiftRightLogical(CounterRng.Bits(Vector256.Create((uint)i) + lanes, key), 8);
                var keep = Vector256.GreaterThanOrEqual(bits, vt).AsSingle();
                var v = Vector256.BitwiseAnd(Vector256.Load(src + i) * vs, keep);
                if (accumulate) v += Vector256.Load(dst + i);
                v.Store(dst + i);
            }
        }
        for (; i < end; i++)
        {
            float v = (CounterRng.Bits((uint)i, key) >> 8) >= threshold ? src[i] * scale : 0f;
            dst[i] = accumulate ? dst[i] + v : v;
        }
    }

    private sealed class Node(Variable output, Variable x, ulong key, float p) : TapeNode(output)
    {
        public override string OpName => "Dropout";

        protected internal override void Backward()
        {
            var dx = x.GradForWrite(out bool acc);
            Apply(key, p, Output.Grad!.Span, dx, acc);
        }
    }
}
