// Shared helpers for the LoRA/optimizer/adapter tests: tiny hand-built linears and seeded data.
using TuneSharp.Autograd;
using TuneSharp.Nn;
using TuneSharp.Tensors;

namespace TuneSharp.Nn.Tests;

internal static class LoraTestUtil
{
    public static float[] Random(int n, int seed, float scale = 1f)
    {
        var rng = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return a;
    }

    /// <summary>A frozen linear (out, in) named like a Llama module, optionally with a bias, in F32 or BF16.</summary>
    public static Linear MakeLinear(string name, int outF, int inF, int seed, DType dtype = DType.F32, bool bias = false)
    {
        var w = Random(outF * inF, seed, 1f / MathF.Sqrt(inF));
        var t = dtype == DType.BF16 ? Tensor.FromArrayBf16(w, outF, inF) : Tensor.FromArray(w, outF, inF);
        var b = bias ? Variable.Parameter(Tensor.FromArray(Random(outF, seed + 1, 0.1f), outF), false, name + ".bias") : null;
        return new Linear(name, Variable.Parameter(t, trainable: false, name + ".weight"), b);
    }

    /// <summary>Two Llama-style layers' attention and MLP projections (hidden 16, intermediate 24).</summary>
    public static List<(string Name, Linear Layer)> TinyModel(int seed = 1, DType dtype = DType.F32)
    {
        var list = new List<(string, Linear)>();
        int h = 16, f = 24, s = seed;
        for (int l = 0; l < 2; l++)
        {
            foreach (var p in new[] { "q_proj", "k_proj", "v_proj", "o_proj" })
                list.Add(Named($"model.layers.{l}.self_attn.{p}", h, h, s++, dtype));
            list.Add(Named($"model.layers.{l}.mlp.gate_proj", f, h, s++, dtype));
            list.Add(Named($"model.layers.{l}.mlp.up_proj", f, h, s++, dtype));
            list.Add(Named($"model.layers.{l}.mlp.down_proj", h, f, s++, dtype));
        }
        list.Add(Named("lm_head", 40, h, s, dtype));
        return list;
    }

    private static (string, Linear) Named(string name, int outF, int inF, int seed, DType dtype) => (name, MakeLinear(name, outF, inF, seed, dtype));

    /// <summary>y = layer(x) for x: (n, in), computed without recording.</summary>
    public static float[] Run(Linear layer, float[] x, int n)
    {
        using var tape = new Tape();
        using var _ = tape.NoGrad();
        var xv = Variable.Constant(Tensor.FromArray(x, n, layer.InFeatures));
        return layer.Forward(tape, xv).Value.ToFloatArray();
    }

    public static void FillRandom(Variable v, int seed, float scale)
    {
        Random(checked((int)v.Shape.ElementCount), seed, scale).CopyTo(v.Value.Span);
    }
}
