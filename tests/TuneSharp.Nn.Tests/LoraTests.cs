// PEFT-style behaviour tests for LoraConfig / LoraModel: init, matching, merge/unmerge, merge_and_unload, errors.
using TuneSharp.Autograd;
using TuneSharp.Autograd.Ops;
using TuneSharp.Nn.Lora;
using TuneSharp.Nn.Optim;
using TuneSharp.Tensors;
using TuneSharp.Testing;
using static TuneSharp.Nn.Tests.LoraTestUtil;

namespace TuneSharp.Nn.Tests;

public sealed class LoraTests
{
    private static readonly string[] AllProj = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    private static LoraConfig Config(params string[] targets) => new() { R = 4, LoraAlpha = 8, TargetModules = targets.Length == 0 ? AllProj : targets };

    [Fact]
    public void InjectTargetsBySuffixAndInitialisesLikePeft()
    {
        var model = TinyModel();
        var lora = LoraModel.Inject(model, Config(), seed: 3);
        Assert.Equal(14, lora.AdaptedLayers.Count);
        Assert.Null(model.Single(m => m.Name == "lm_head").Layer.Lora);
        foreach (var l in lora.AdaptedLayers)
        {
            var a = l.Lora!.A.Value.ToFloatArray();
            float bound = 1f / MathF.Sqrt(l.InFeatures);
            Assert.All(a, v => Assert.InRange(v, -bound, bound));
            Assert.True(a.Max() > bound * 0.5f && a.Min() < -bound * 0.5f, "A should span the kaiming-uniform range");
            Assert.All(l.Lora.B.Value.ToFloatArray(), v => Assert.Equal(0f, v));
            Assert.Equal(2f, l.Lora.Scaling);
            Assert.True(l.Lora.A.RequiresGrad && l.Lora.B.RequiresGrad && !l.Weight.RequiresGrad);
        }
        Assert.Equal(14 * 2, lora.TrainableParameters().Count);
        Assert.Equal("model.layers.0.self_attn.q_proj.lora_A.weight", lora.TrainableParameters()[0].Name);
    }

    [Fact]
    public void InitIsDeterministicPerSeedAndModule()
    {
        float[] A(int seed, string[] targets) => LoraModel.Inject(TinyModel(), Config(targets), seed)
            .AdaptedLayers.Single(l => l.Name == "model.layers.1.self_attn.v_proj").Lora!.A.Value.ToFloatArray();
        Assert.Equal(A(5, AllProj), A(5, AllProj));
        Assert.Equal(A(5, AllProj), A(5, ["v_proj"])); // other targets do not shift this module's stream
        Assert.NotEqual(A(5, AllProj), A(6, AllProj));
    }

    [Fact]
    public void MatchingFollowsPeftRules()
    {
        var c = new LoraConfig { TargetModules = ["q_proj", "layers.1.mlp.up_proj"] };
        Assert.True(c.IsTarget("model.layers.0.self_attn.q_proj"));
        Assert.True(c.IsTarget("q_proj"));
        Assert.False(c.IsTarget("model.layers.0.self_attn.xq_proj"));
        Assert.True(c.IsTarget("model.layers.1.mlp.up_proj"));
        Assert.False(c.IsTarget("model.layers.11.mlp.up_proj"));
        var rx = new LoraConfig { TargetModulesRegex = @".*\.layers\.0\..*(q_proj|v_proj)" };
        Assert.True(rx.IsTarget("model.layers.0.self_attn.q_proj"));
        Assert.False(rx.IsTarget("model.layers.1.self_attn.q_proj"));
        Assert.False(rx.IsTarget("model.layers.0.self_attn.q_proj.extra"));
        var all = new LoraConfig { TargetModules = ["all-linear"] };
        Assert.True(all.IsTarget("model.layers.0.mlp.down_proj"));
        Assert.False(all.IsTarget("lm_head"));
    }

    [Fact]
    public void ZeroBGivesBaseOutputExactly()
    {
        var model = TinyModel(dtype: DType.BF16);
        var x = Random(5 * 16, 9);
        var before = model.Select(m => m.Layer.InFeatures == 16 ? Run(m.Layer, x, 5) : null).ToList();
        LoraModel.Inject(model, Config(), seed: 1);
        for (int i = 0; i < model.Count; i++)
            if (before[i] is { } b) Assert.Equal(b, Run(model[i].Layer, x, 5));
    }

    [Fact]
    public void MergedEqualsUnmergedAndUnmergeRestoresBitwise()
    {
        foreach (var dtype in new[] { DType.F32, DType.BF16 })
        {
            var model = TinyModel(dtype: dtype);
            var lora = LoraModel.Inject(model, Config(), seed: 2);
            int s = 100;
            foreach (var l in lora.AdaptedLayers) FillRandom(l.Lora!.B, s++, 0.2f);
            var layer = model.Single(m => m.Name == "model.layers.1.mlp.gate_proj").Layer;
            var x = Random(7 * 16, 4);
            var originalWeight = layer.Weight.Value.AsBytes().ToArray();
            var unmerged = Run(layer, x, 7);
            lora.Merge();
            Assert.True(lora.IsMerged);
            var merged = Run(layer, x, 7);
            NumericAssert.Close(unmerged, merged, 1e-4, 1e-5, $"merged vs unmerged ({dtype})");
            lora.Unmerge();
            Assert.Equal(originalWeight, layer.Weight.Value.AsBytes().ToArray());
            Assert.Equal(unmerged, Run(layer, x, 7));
        }
    }

    [Fact]
    public void MergeAndUnloadRemovesAdaptersAndKeepsOutputs()
    {
        var model = TinyModel();
        var lora = LoraModel.Inject(model, Config("v_proj", "down_proj"), seed: 2);
        foreach (var l in lora.AdaptedLayers) FillRandom(l.Lora!.B, 7, 0.3f);
        var layer = model.Single(m => m.Name == "model.layers.0.mlp.down_proj").Layer;
        var x = Random(3 * 24, 8);
        var before = Run(layer, x, 3);
        lora.MergeAndUnload();
        Assert.Null(layer.Lora);
        Assert.Equal(DType.F32, layer.Weight.DType);
        Assert.False(layer.Weight.RequiresGrad);
        NumericAssert.Close(before, Run(layer, x, 3), 1e-4, 1e-5, "merge_and_unload output");
        Assert.Empty(lora.AdaptedLayers);
    }

    [Fact]
    public void TrainingChangesOutputsAndLeavesFrozenWeightsBitIdentical()
    {
        var model = TinyModel(dtype: DType.BF16);
        var frozen = model.Select(m => m.Layer.Weight.Value.AsBytes().ToArray()).ToList();
        var lora = LoraModel.Inject(model, Config("q_proj", "v_proj"), seed: 0);
        var layer = model.Single(m => m.Name == "model.layers.0.self_attn.q_proj").Layer;
        var x = Random(6 * 16, 11);
        var target = Random(6 * 16, 12);
        var before = Run(layer, x, 6);
        var opt = new AdamWOptimizer(lora.TrainableParameters(), new OptimizerOptions { LearningRate = 1e-2, WeightDecay = 0.01 });
        for (int step = 0; step < 3; step++)
        {
            opt.ZeroGrad();
            using var tape = new Tape();
            var y = layer.Forward(tape, Variable.Constant(Tensor.FromArray(x, 6, 16)));
            // d(½‖y − t‖²)/dy = y − t
            var dy = y.Value.ToFloatArray();
            for (int i = 0; i < dy.Length; i++) dy[i] -= target[i];
            tape.Backward(y, dy);
            opt.Step();
        }
        var after = Run(layer, x, 6);
        Assert.True(before.Zip(after).Max(p => Math.Abs(p.First - p.Second)) > 1e-3, "a trained adapter must change the output");
        for (int i = 0; i < model.Count; i++) Assert.Equal(frozen[i], model[i].Layer.Weight.Value.AsBytes().ToArray());
    }

    [Fact]
    public void RsloraScaling()
    {
        var lora = LoraModel.Inject(TinyModel(), new LoraConfig { R = 4, LoraAlpha = 8, UseRslora = true, TargetModules = ["q_proj"] });
        Assert.Equal(4f, lora.AdaptedLayers[0].Lora!.Scaling);
    }

    [Fact]
    public void ModulesToSaveBecomeTrainableCopies()
    {
        var model = TinyModel();
        var lora = LoraModel.Inject(model, new LoraConfig { R = 2, LoraAlpha = 4, TargetModules = ["q_proj"], ModulesToSave = ["lm_head"] });
        var head = model.Single(m => m.Name == "lm_head").Layer;
        Assert.True(head.Weight.RequiresGrad);
        Assert.Null(head.Lora);
        Assert.Contains(lora.TrainableParameters(), p => p.Name == "lm_head.weight");
    }

    [Fact]
    public void EffectiveWeightMatchesMergedWeightAndFeedsAdapterGradients()
    {
        var model = TinyModel();
        var lora = LoraModel.Inject(model, new LoraConfig { R = 3, LoraAlpha = 6, TargetModules = ["lm_head"] });
        var head = lora.AdaptedLayers.Single();
        FillRandom(head.Lora!.B, 5, 0.2f);
        using var merged = LoraModel.MergedWeight(head);
        using var tape = new Tape();
        var w = LoraModel.EffectiveWeight(tape, head);
        NumericAssert.Close(merged.Span, w.Value.Span, 1e-6, 1e-6, "effective weight");
        tape.Backward(w, Enumerable.Repeat(1f, (int)w.Shape.ElementCount).ToArray());
        Assert.NotNull(head.Lora.A.Grad);
        Assert.NotNull(head.Lora.B.Grad);
    }

    [Fact]
    public void BadConfigsGiveClearMessages()
    {
        var e1 = Assert.Throws<ConfigException>(() => LoraModel.Inject(TinyModel(), new LoraConfig { R = 0, TargetModules = ["q_proj"] }));
        Assert.Contains("r (rank) must be a positive", e1.Message);
        var e2 = Assert.Throws<ConfigException>(() => LoraModel.Inject(TinyModel(), new LoraConfig { LoraAlpha = 0, TargetModules = ["q_proj"] }));
        Assert.Contains("lora_alpha", e2.Message);
        var e3 = Assert.Throws<ConfigException>(() => LoraModel.Inject(TinyModel(), Config("q_proj", "qkv_proj")));
        Assert.Contains("'qkv_proj' matches no linear layer", e3.Message);
        Assert.Contains("gate_proj", e3.Message); // lists what exists
        var e4 = Assert.Throws<ConfigException>(() => LoraModel.Inject(TinyModel(), new LoraConfig { Bias = "all", TargetModules = ["q_proj"] }));
        Assert.Contains("bias 'all'", e4.Message);
        var e5 = Assert.Throws<ConfigException>(() => LoraModel.Inject(TinyModel(), Config("q_proj", "embed_tokens"), otherModuleNames: ["model.embed_tokens"]));
        Assert.Contains("embed_tokens", e5.Message);
        var e6 = Assert.Throws<ConfigException>(() => LoraModel.Inject(TinyModel(), new LoraConfig { TargetModulesRegex = "nothing.*" }));
        Assert.Contains("matches no linear layer", e6.Message);
        var e7 = Assert.Throws<ConfigException>(() => LoraModel.Inject(TinyModel(), new LoraConfig { TargetModules = [] }));
        Assert.Contains("target_modules is empty", e7.Message);
    }
}
