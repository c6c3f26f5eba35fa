// WeightNames: expected names/shapes vs real and golden checkpoints, tied aliases, all-at-once error reports,
// GGUF name mapping and llama.cpp's Q/K row permutation.
using TuneSharp.Models.Config;
using TuneSharp.Models.Loading;
using TuneSharp.Testing;

namespace TuneSharp.Models.Tests;

public sealed class WeightNamesTests
{
    [Fact]
    public void TinyStories_TiedStoredAsLmHead()
    {
        var c = ModelConfig.Load(SharedAssets.Require("models/tinystories-656k"));
        var st = new TestSafeTensors(SharedAssets.Require("models/tinystories-656k/model.safetensors"));
        var check = WeightNames.Check(c, st.Shapes());
        check.ThrowIfInvalid("tinystories");
        Assert.Equal(WeightNames.LmHead, check.Sources[WeightNames.EmbedTokens]);
        Assert.Equal(2 + 2 * 9, WeightNames.Expected(c).Count);
        Assert.DoesNotContain(WeightNames.Expected(c), s => s.Name == WeightNames.LmHead);
        Assert.Equal(WeightNames.LmHead, WeightNames.TiedAlias(c, WeightNames.EmbedTokens));
    }

    [Theory]
    [MemberData(nameof(ModelConfigTests.Variants), MemberType = typeof(ModelConfigTests))]
    public void GoldenVariants_MatchExpectedNamesAndShapes(string variant)
    {
        var c = ModelConfig.Load(SharedAssets.Golden($"models/{variant}/model"));
        var st = new TestSafeTensors(SharedAssets.Golden($"models/{variant}/model/model.safetensors"));
        var check = WeightNames.Check(c, st.Shapes());
        check.ThrowIfInvalid(variant);
        // Every parameter has a gradient in expected.safetensors, under its canonical (expected) name.
        var expected = new TestSafeTensors(SharedAssets.Golden($"models/{variant}/expected.safetensors"));
        var grads = expected.Tensors.Keys.Where(k => k.StartsWith("grad.", StringComparison.Ordinal)).Select(k => k[5..]).Order(StringComparer.Ordinal);
        Assert.Equal(WeightNames.Expected(c).Select(s => s.Name).Order(StringComparer.Ordinal), grads);
        foreach (var spec in WeightNames.Expected(c)) Assert.Equal(spec.Shape, expected.Tensors["grad." + spec.Name].Shape);
    }

    [Fact]
    public void ArchitectureSpecificNames()
    {
        var qwen3 = ModelConfig.Load(SharedAssets.Golden("models/qwen3/model"));
        var names = WeightNames.Expected(qwen3).ToDictionary(s => s.Name, s => s.Shape);
        Assert.Equal([12], names["model.layers.1.self_attn.q_norm.weight"]);
        Assert.Equal([48, 32], names["model.layers.0.self_attn.q_proj.weight"]);
        Assert.Equal([32, 48], names["model.layers.0.self_attn.o_proj.weight"]);
        var gemma2 = WeightNames.Expected(ModelConfig.Load(SharedAssets.Golden("models/gemma2/model"))).Select(s => s.Name).ToHashSet();
        Assert.Contains("model.layers.2.pre_feedforward_layernorm.weight", gemma2);
        Assert.Contains("model.layers.2.post_feedforward_layernorm.weight", gemma2);
        var qwen2 = WeightNames.Expected(ModelConfig.Load(SharedAssets.Golden("models/qwen2_tied/model"))).Select(s => s.Name).ToHashSet();
        Assert.Contains("model.layers.0.self_attn.k_proj.bias", qwen2);
        Assert.DoesNotContain("model.layers.0.self_attn.o_proj.bias", qwen2);
        Assert.Equal("model.layers.3.mlp.down_proj.bias", WeightNames.DownProjBias(3));
    }

    [Fact]
    public void Check_ReportsEverythingAtOnce()
    {
        var c = ModelConfig.Load(SharedAssets.Require("models/tinystories-656k"));
        var shapes = new TestSafeTensors(SharedAssets.Require("models/tinystories-656k/model.safetensors")).Shapes();
        shapes.Remove(WeightNames.QProj(1));
        shapes.Remove(WeightNames.FinalNorm);
        shapes[WeightNames.KProj(0)] = [128, 128];
        shapes["model.layers.0.self_attn.rotary_emb.inv_freq"] = [8];
        shapes["model.layers.0.mlp.extra.weight"] = [3];
        var check = WeightNames.Check(c, shapes);
        Assert.False(check.IsValid);
        Assert.Equal([WeightNames.QProj(1), WeightNames.FinalNorm], check.Missing);
        Assert.Equal(["model.layers.0.mlp.extra.weight"], check.Unexpected);
        Assert.Equal(["model.layers.0.self_attn.rotary_emb.inv_freq"], check.Ignored);
        Assert.Single(check.Misshaped);
        var e = Assert.Throws<InvalidDataException>(() => check.ThrowIfInvalid("ckpt/model.safetensors"));
        Assert.Contains("ckpt/model.safetensors", e.Message);
        Assert.Contains(WeightNames.QProj(1), e.Message);
        Assert.Contains("model.layers.0.mlp.extra.weight", e.Message);
        Assert.Contains("model.layers.0.self_attn.k_proj.weight: expected [64, 128], found [128, 128]", e.Message);
    }

    [Fact]
    public void Check_UntiedNeedsLmHead_TiedAcceptsBothNames()
    {
        var untied = ModelConfig.Load(SharedAssets.Golden("models/llama_gqa/model"));
        var shapes = new TestSafeTensors(SharedAssets.Golden("models/llama_gqa/model/model.safetensors")).Shapes();
        shapes.Remove(WeightNames.LmHead);
        Assert.Equal([WeightNames.LmHead], WeightNames.Check(untied, shapes).Missing);

        var tied = ModelConfig.Load(SharedAssets.Golden("models/qwen2_tied/model"));
        var both = new TestSafeTensors(SharedAssets.Golden("models/qwen2_tied/model/model.safetensors")).Shapes();
        both[WeightNames.LmHead] = both[WeightNames.EmbedTokens];
        var check = WeightNames.Check(tied, both);
        Assert.True(check.IsValid);
        Assert.Equal(WeightNames.EmbedTokens, check.Sources[WeightNames.EmbedTokens]);
        both[WeightNames.LmHead] = [3, 3];
        Assert.Single(WeightNames.Check(tied, both).Misshaped);
    }

    [Theory]
    [InlineData("token_embd.weight", "model.embed_tokens.weight")]
    [InlineData("output_norm.weight", "model.norm.weight")]
    [InlineData("output.weight", "lm_head.weight")]
    [InlineData("blk.0.attn_norm.weight", "model.layers.0.input_layernorm.weight")]
    [InlineData("blk.1.attn_q.weight", "model.layers.1.self_attn.q_proj.weight")]
    [InlineData("blk.12.attn_k.bias", "model.layers.12.self_attn.k_proj.bias")]
    [InlineData("blk.1.attn_v.weight", "model.layers.1.self_attn.v_proj.weight")]
    [InlineData("blk.1.attn_output.weight", "model.layers.1.self_attn.o_proj.weight")]
    [InlineData("blk.3.attn_q_norm.weight", "model.layers.3.self_attn.q_norm.weight")]
    [InlineData("blk.0.ffn_norm.weight", "model.layers.0.post_attention_layernorm.weight")]
    [InlineData("blk.0.ffn_gate.weight", "model.layers.0.mlp.gate_proj.weight")]
    [InlineData("blk.0.ffn_up.weight", "model.layers.0.mlp.up_proj.weight")]
    [InlineData("blk.0.ffn_down.weight", "model.layers.0.mlp.down_proj.weight")]
    public void GgufNames_RoundTrip(string gguf, string hf)
    {
        Assert.Equal(hf, GgufNames.ToHf(gguf));
        Assert.Equal(gguf, GgufNames.FromHf(hf));
    }

    [Fact]
    public void GgufNames_UnknownAndPermutedFlags()
    {
        Assert.Null(GgufNames.ToHf("blk.x.attn_q.weight"));
        Assert.Null(GgufNames.ToHf("rope_freqs.weight"));
        Assert.Null(GgufNames.FromHf("model.layers.0.self_attn.rotary_emb.inv_freq"));
        Assert.True(GgufNames.IsPermutedQk("blk.0.attn_q.weight", out var isKey) && !isKey);
        Assert.True(GgufNames.IsPermutedQk("blk.0.attn_k.weight", out isKey) && isKey);
        Assert.False(GgufNames.IsPermutedQk("blk.0.attn_v.weight", out _));
    }

    // Reference values from numpy: w.reshape(n_head, 2, rows // n_head // 2, cols).swapaxes(1, 2).reshape(rows, cols)
    // for w = arange(24).reshape(12, 2), n_head = 2, and w = arange(8).reshape(8, 1), n_head = 1.
    [Fact]
    public void QkPermutation_MatchesNumpyAndRoundTrips()
    {
        var x = Enumerable.Range(0, 24).ToArray();
        var p = new int[24];
        GgufQkPermutation.Permute<int>(x, p, nHead: 2, rowLength: 2);
        Assert.Equal([0, 1, 6, 7, 2, 3, 8, 9, 4, 5, 10, 11, 12, 13, 18, 19, 14, 15, 20, 21, 16, 17, 22, 23], p);
        var back = new int[24];
        GgufQkPermutation.Unpermute<int>(p, back, 2, 2);
        Assert.Equal(x, back);

        var y = Enumerable.Range(0, 8).ToArray();
        var py = new int[8];
        GgufQkPermutation.Permute<int>(y, py, 1, 1);
        Assert.Equal([0, 4, 1, 5, 2, 6, 3, 7], py);

        Assert.Throws<ArgumentException>(() => GgufQkPermutation.Unpermute<int>(new int[10], new int[10], 2, 2));
    }
}
