// AdamW / 8-bit AdamW optimizers: torch and bitsandbytes semantics, HF decay groups, names, bitwise state resume.
using TuneSharp.Autograd;
using TuneSharp.Nn.Optim;
using TuneSharp.Tensors;
using TuneSharp.Tensors.IO;
using TuneSharp.Tensors.Kernels;
using TuneSharp.Testing;
using static TuneSharp.Nn.Tests.LoraTestUtil;

namespace TuneSharp.Nn.Tests;

public sealed class OptimTests
{
    [Theory]
    [InlineData("model.layers.0.self_attn.q_proj.weight", true)]
    [InlineData("model.layers.0.self_attn.q_proj.lora_A.weight", true)]
    [InlineData("model.layers.0.self_attn.q_proj.bias", false)]
    [InlineData("model.layers.0.input_layernorm.weight", false)]
    [InlineData("model.layers.0.post_attention_layernorm.weight", false)]
    [InlineData("model.norm.weight", false)]
    [InlineData("model.layers.0.self_attn.q_norm.weight", false)]
    [InlineData("model.embed_tokens.weight", true)]
    [InlineData("lm_head.weight", true)]
    public void DecayGroupsFollowHfTrainer(string name, bool decays) => Assert.Equal(decays, Optimizer.DecaysWeight(name));

    [Fact]
    public void UnknownOptimizerNameListsSupported()
    {
        var e = Assert.Throws<ConfigException>(() => OptimizerFactory.Validate("adafactor"));
        Assert.Contains("unknown optimizer 'adafactor'", e.Message);
        Assert.Contains("adamw_torch", e.Message);
        Assert.Contains("adamw_8bit", e.Message);
        var p = new[] { ("w", Variable.Parameter(Tensor.Zeros(4), true, "w")) };
        Assert.IsType<AdamWOptimizer>(OptimizerFactory.Create("adamw_hf", p, new OptimizerOptions()));
        Assert.IsType<AdamW8bitOptimizer>(OptimizerFactory.Create("paged_adamw_8bit", p, new OptimizerOptions()));
    }

    [Fact]
    public void AdamWMatchesKernelWithDecayOnlyOnDecayedParams()
    {
        var w = Variable.Parameter(Tensor.FromArray(Random(50, 1), 50), true, "w");
        var b = Variable.Parameter(Tensor.FromArray(Random(10, 2), 10), true, "b");
        var opt = new AdamWOptimizer([("x.weight", w), ("x.bias", b)], new OptimizerOptions { LearningRate = 0.1, WeightDecay = 0.5 });
        var pw = Random(50, 1); var mw = new float[50]; var vw = new float[50];
        var pb = Random(10, 2); var mb = new float[10]; var vb = new float[10];
        for (int s = 1; s <= 3; s++)
        {
            var gw = Random(50, 10 + s); var gb = Random(10, 20 + s);
            w.AccumulateGrad(gw); b.AccumulateGrad(gb);
            opt.Step();
            opt.ZeroGrad();
            AdamW.Step(pw, gw, mw, vw, 0.1, 0.9, 0.999, 1e-8, 0.5, s);
            AdamW.Step(pb, gb, mb, vb, 0.1, 0.9, 0.999, 1e-8, 0.0, s);
        }
        Assert.Equal(pw, w.Value.ToFloatArray());
        Assert.Equal(pb, b.Value.ToFloatArray());
    }

    [Fact]
    public void DynamicMapsMatchBitsandbytesConstruction()
    {
        using var f = SafeTensorsFile.Open(SharedAssets.Golden("lora/adamw8bit_unit/expected.safetensors"));
        using var s = f.GetTensor("code_signed");
        using var u = f.GetTensor("code_unsigned");
        // torch.linspace may round a few points 1 ulp differently from our float32 formula.
        NumericAssert.Close(s.ToFloatArray(), DynamicQuantMap.Signed, 3e-7, 0, "signed dynamic map");
        NumericAssert.Close(u.ToFloatArray(), DynamicQuantMap.Unsigned, 3e-7, 0, "unsigned dynamic map");
        Assert.Equal(0f, DynamicQuantMap.Unsigned[0]);
        Assert.Equal(1f, DynamicQuantMap.Unsigned[255]);
    }

    [Fact]
    public void AdamW8bitMatchesReferenceUpdate()
    {
        using var f = SafeTensorsFile.Open(SharedAssets.Golden("lora/adamw8bit_unit/expected.safetensors"));
        float[] T(string k) { using var t = f.GetTensor(k); return t.ToFloatArray(); }
        var p0 = T("p0");
        var grads = T("grads");
        int n = p0.Length;
        var w = Variable.Parameter(Tensor.FromArray(p0, n), true, "w");
        var opt = new AdamW8bitOptimizer([("w", w)], new OptimizerOptions { LearningRate = 1e-2, WeightDecay = 0.1 });
        Assert.True(opt.IsBlockwise(0));
        for (int s = 0; s < 3; s++)
        {
            opt.ZeroGrad();
            w.AccumulateGrad(grads.AsSpan(s * n, n));
            opt.Step();
            NumericAssert.Close(T($"p{s + 1}"), w.Value.ToFloatArray(), 1e-5, 1e-6, $"8-bit AdamW params after step {s + 1}");
            var (m, v) = opt.Moments(0);
            NumericAssert.Close(T($"m{s + 1}"), m, 1e-3, 1e-7, $"8-bit m after step {s + 1}");
            NumericAssert.Close(T($"v{s + 1}"), v, 1e-3, 1e-9, $"8-bit v after step {s + 1}");
        }
        Assert.Equal(p0[17] * 1f, p0[17]); // element 17 had a NaN gradient at step 2 and stayed finite
        Assert.True(float.IsFinite(w.Value.Span[17]));
    }

    [Theory]
    [InlineData("adamw_torch")]
    [InlineData("adamw_8bit")]
    public void SaveLoadStateResumesBitwise(string optim)
    {
        var dir = Path.Combine(Path.GetTempPath(), "lora-optim-" + Guid.NewGuid().ToString("N"));
        try
        {
            (Variable, Variable) Params() => (Variable.Parameter(Tensor.FromArray(Random(5000, 1), 5000), true, "a"), Variable.Parameter(Tensor.FromArray(Random(30, 2), 30), true, "b"));
            var opts = new OptimizerOptions { LearningRate = 1e-2, WeightDecay = 0.01 };
            void Grad(Variable a, Variable b, int s) { a.ZeroGrad(); b.ZeroGrad(); a.AccumulateGrad(Random(5000, 100 + s)); b.AccumulateGrad(Random(30, 200 + s)); }

            var (a1, b1) = Params();
            var o1 = OptimizerFactory.Create(optim, [("a.weight", a1), ("b.bias", b1)], opts);
            for (int s = 0; s < 5; s++) { Grad(a1, b1, s); o1.Step(); if (s == 2) { o1.SaveState(dir); } }

            var (a2, b2) = Params();
            var o2 = OptimizerFactory.Create(optim, [("a.weight", a2), ("b.bias", b2)], opts);
            for (int s = 0; s < 3; s++) { Grad(a2, b2, s); o2.Step(); }
            var (a3, b3) = (Variable.Parameter(Tensor.FromArray(a2.Value.ToFloatArray(), 5000), true, "a"), Variable.Parameter(Tensor.FromArray(b2.Value.ToFloatArray(), 30), true, "b"));
            var o3 = OptimizerFactory.Create(optim, [("a.weight", a3), ("b.bias", b3)], opts);
            o3.LoadState(dir);
            Assert.Equal(3, o3.StepCount);
            for (int s = 3; s < 5; s++) { Grad(a3, b3, s); o3.Step(); }
            Assert.Equal(a1.Value.AsBytes().ToArray(), a3.Value.AsBytes().ToArray());
            Assert.Equal(b1.Value.AsBytes().ToArray(), b3.Value.AsBytes().ToArray());

            var other = OptimizerFactory.Create(optim, [("c.weight", Variable.Parameter(Tensor.Zeros(5000), true, "c"))], opts);
            var e = Assert.Throws<InvalidDataException>(() => other.LoadState(dir));
            Assert.Contains("parameters", e.Message);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void FrozenParameterIsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new AdamWOptimizer([("w", Variable.Parameter(Tensor.Zeros(3), false, "w"))], new OptimizerOptions()));
        Assert.Contains("frozen", e.Message);
    }
}
