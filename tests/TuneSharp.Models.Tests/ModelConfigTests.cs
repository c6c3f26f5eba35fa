// ModelConfig: real configs from ../shared, the golden variants, per-architecture defaults and bad-config messages.
using System.Text.Json;
using TuneSharp.Models.Config;
using TuneSharp.Testing;

namespace TuneSharp.Models.Tests;

public sealed class ModelConfigTests
{
    [Fact]
    public void TinyStories()
    {
        var c = ModelConfig.Load(SharedAssets.Require("models/tinystories-656k"));
        Assert.Equal(ModelArchitecture.Llama, c.Architecture);
        Assert.Equal((128, 384, 2, 8, 4, 16, 2048), (c.HiddenSize, c.IntermediateSize, c.NumHiddenLayers, c.NumAttentionHeads, c.NumKeyValueHeads, c.HeadDim, c.VocabSize));
        Assert.Equal(1e-6, c.RmsNormEps);
        Assert.Equal(10000.0, c.RopeTheta);
        Assert.Null(c.RopeScaling);
        Assert.True(c.TieWordEmbeddings);
        Assert.Equal(Activation.Silu, c.Activation);
        Assert.Equal(1, c.BosTokenId);
        Assert.Equal([2], c.EosTokenIds);
        Assert.Equal(512, c.MaxPositionEmbeddings);
        Assert.False(c.HasQkvBias || c.HasOutputBias || c.HasMlpBias || c.HasQkNorm || c.HasPostNorms || c.NormAddsOne);
        Assert.Equal(1f, c.EmbeddingScale);
        Assert.Equal(0.25f, c.AttentionScale);
        Assert.Null(c.SlidingWindow);
        Assert.False(c.IsSlidingLayer(1));
        Assert.Equal(2, c.GroupSize);
        Assert.Equal("float32", c.TorchDtype);
    }

    [Fact]
    public void SmolLm2()
    {
        var c = ModelConfig.Load(SharedAssets.Require("models/configs/smollm2-135m/config.json"));
        Assert.Equal((576, 1536, 30, 9, 3, 64, 49152), (c.HiddenSize, c.IntermediateSize, c.NumHiddenLayers, c.NumAttentionHeads, c.NumKeyValueHeads, c.HeadDim, c.VocabSize));
        Assert.Equal(100000.0, c.RopeTheta);
        Assert.Equal(1e-5, c.RmsNormEps);
        Assert.True(c.TieWordEmbeddings);
        Assert.Equal(2, c.PadTokenId);
        Assert.Equal(8192, c.MaxPositionEmbeddings);
    }

    [Fact]
    public void Bench20m_HasNoModelType_IsLlama()
    {
        var c = ModelConfig.Load(SharedAssets.Require("models/configs/bench20m.json"));
        Assert.Equal(ModelArchitecture.Llama, c.Architecture);
        Assert.Equal((256, 1024, 8, 8, 4, 32, 32000), (c.HiddenSize, c.IntermediateSize, c.NumHiddenLayers, c.NumAttentionHeads, c.NumKeyValueHeads, c.HeadDim, c.VocabSize));
        Assert.False(c.TieWordEmbeddings);
        Assert.Equal(0, c.PadTokenId);
        Assert.Equal(1024, c.MaxPositionEmbeddings);
    }

    public static TheoryData<string> Variants => new() { "llama_gqa", "llama3_tied_bias", "mistral_swa", "qwen2_tied", "qwen3", "gemma", "gemma2" };

    [Theory]
    [MemberData(nameof(Variants))]
    public void GoldenVariants_AgreeWithGenerator(string variant)
    {
        var c = ModelConfig.Load(SharedAssets.Golden($"models/{variant}/model"));
        using var meta = JsonDocument.Parse(File.ReadAllText(SharedAssets.Golden($"models/{variant}/meta.json")));
        var m = meta.RootElement;
        Assert.Equal(m.GetProperty("model_type").GetString(), c.ModelType);
        var sliding = m.GetProperty("sliding_layers").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.Equal(sliding, Enumerable.Range(0, c.NumHiddenLayers).Where(c.IsSlidingLayer).ToArray());
        var window = m.GetProperty("sliding_window");
        Assert.Equal(window.ValueKind == JsonValueKind.Null ? null : window.GetInt32(), c.SlidingWindow);
        Assert.Equal((float)m.GetProperty("attention_scale").GetDouble(), c.AttentionScale);
        var inv = m.GetProperty("inv_freq").EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
        NumericAssert.Close(inv, c.RopeInverseFrequencies(), 1e-6, 0, variant + " inv_freq");
        // The RoPE kernel's own frequency code agrees with the config's (and torch's).
        NumericAssert.Close(inv, TuneSharp.Tensors.Kernels.Rope.InverseFrequencies(c.HeadDim, c.RopeTheta, c.RopeScaling?.ToKernel()), 1e-6, 0, variant + " kernel inv_freq");
    }

    [Fact]
    public void Gemma2_DerivedProperties()
    {
        var c = ModelConfig.Load(SharedAssets.Golden("models/gemma2/model"));
        Assert.True(c.NormAddsOne && c.HasPostNorms && c.TieWordEmbeddings);
        Assert.Equal(Activation.GeluTanh, c.Activation);
        Assert.Equal(MathF.Sqrt(32), c.EmbeddingScale);
        Assert.Equal(0.25f, c.AttentionScale); // query_pre_attn_scalar 16, not head_dim 12
        Assert.Equal(2.0, c.AttnLogitSoftcapping);
        Assert.Equal(3.0, c.FinalLogitSoftcapping);
        Assert.Equal(48, c.QueryDim);
        Assert.Equal(24, c.KeyValueDim);
        Assert.Equal(2, c.BosTokenId);
        Assert.Equal([1], c.EosTokenIds);
    }

    [Fact]
    public void Defaults_DifferPerModelType()
    {
        const string core = "\"hidden_size\": 64, \"intermediate_size\": 128, \"num_hidden_layers\": 4, \"num_attention_heads\": 4, \"vocab_size\": 100";
        var gemma = ModelConfig.FromJson($"{{\"model_type\": \"gemma\", {core}}}");
        Assert.True(gemma.TieWordEmbeddings);
        Assert.Equal(256, gemma.HeadDim);
        Assert.Equal(Activation.GeluTanh, gemma.Activation); // hidden_activation unset → gelu_pytorch_tanh
        var gemma2 = ModelConfig.FromJson($"{{\"model_type\": \"gemma2\", {core}}}");
        Assert.Equal((50.0, 30.0, 256.0, 4096), (gemma2.AttnLogitSoftcapping!.Value, gemma2.FinalLogitSoftcapping!.Value, gemma2.QueryPreAttnScalar!.Value, gemma2.SlidingWindow!.Value));
        Assert.Equal([true, false, true, false], Enumerable.Range(0, 4).Select(gemma2.IsSlidingLayer).ToArray());
        var noCap = ModelConfig.FromJson($"{{\"model_type\": \"gemma2\", {core}, \"attn_logit_softcapping\": null, \"final_logit_softcapping\": null}}");
        Assert.Null(noCap.AttnLogitSoftcapping);
        Assert.Null(noCap.FinalLogitSoftcapping);
        var llama = ModelConfig.FromJson($"{{\"model_type\": \"llama\", {core}}}");
        Assert.False(llama.TieWordEmbeddings);
        Assert.Equal(16, llama.HeadDim);
        Assert.Equal(4, llama.NumKeyValueHeads);
        var qwen2 = ModelConfig.FromJson($"{{\"model_type\": \"qwen2\", {core}, \"attention_bias\": false}}");
        Assert.True(qwen2.HasQkvBias);
        Assert.False(qwen2.HasOutputBias);
        Assert.Null(qwen2.SlidingWindow);
        var qwen2Swa = ModelConfig.FromJson($"{{\"model_type\": \"qwen2\", {core}, \"use_sliding_window\": true, \"sliding_window\": 8, \"max_window_layers\": 2}}");
        Assert.Equal([false, false, true, true], Enumerable.Range(0, 4).Select(qwen2Swa.IsSlidingLayer).ToArray());
        var qwen3 = ModelConfig.FromJson($"{{\"model_type\": \"qwen3\", {core}}}");
        Assert.Equal(128, qwen3.HeadDim);
        Assert.True(qwen3.HasQkNorm);
        var mistral = ModelConfig.FromJson($"{{\"model_type\": \"mistral\", {core}, \"sliding_window\": null}}");
        Assert.Null(mistral.SlidingWindow);
        var mistralDefault = ModelConfig.FromJson($"{{\"model_type\": \"mistral\", {core}}}");
        Assert.Equal(4096, mistralDefault.SlidingWindow);
        Assert.True(mistralDefault.IsSlidingLayer(3));
    }

    [Fact]
    public void RopeScaling_Llama3_AndTypeAlias()
    {
        const string core = "\"model_type\": \"llama\", \"hidden_size\": 64, \"intermediate_size\": 128, \"num_hidden_layers\": 1, \"num_attention_heads\": 4, \"vocab_size\": 10";
        var c = ModelConfig.FromJson($"{{{core}, \"rope_theta\": 500000.0, \"rope_scaling\": {{\"type\": \"llama3\", \"factor\": 8.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 8192}}}}");
        Assert.Equal(new Llama3RopeScaling(8, 1, 4, 8192), c.RopeScaling);
        var inv = c.RopeInverseFrequencies();
        Assert.Equal(8, inv.Length);
        Assert.Equal(1f, inv[0]); // short wavelengths untouched
        Assert.Equal(MathF.Pow(500000f, -14f / 16) / 8, inv[7], 1e-12f); // long wavelengths divided by factor
        var none = ModelConfig.FromJson($"{{{core}, \"rope_scaling\": {{\"rope_type\": \"default\"}}}}");
        Assert.Null(none.RopeScaling);
        var v5 = ModelConfig.FromJson($"{{{core}, \"rope_parameters\": {{\"rope_type\": \"default\", \"rope_theta\": 1234.0}}}}");
        Assert.Equal(1234.0, v5.RopeTheta);
    }

    [Fact]
    public void EosList_AndLayerTypes()
    {
        var c = ModelConfig.FromJson("""
            {"model_type": "qwen3", "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 3, "num_attention_heads": 4,
             "vocab_size": 50, "eos_token_id": [7, 9], "bos_token_id": null, "sliding_window": 16,
             "layer_types": ["full_attention", "sliding_attention", "full_attention"]}
            """);
        Assert.Equal([7, 9], c.EosTokenIds);
        Assert.Null(c.BosTokenId);
        Assert.Equal(16, c.SlidingWindow);
        Assert.Equal([false, true, false], Enumerable.Range(0, 3).Select(c.IsSlidingLayer).ToArray());
    }

    [Theory]
    [InlineData("{\"model_type\": \"gpt2\", \"hidden_size\": 8}", "\"model_type\" \"gpt2\" is not supported (supported: llama, mistral, qwen2, qwen3, gemma, gemma2)")]
    [InlineData("{\"architectures\": [\"PhiForCausalLM\"]}", "\"architectures\" PhiForCausalLM is not supported")]
    [InlineData("{\"model_type\": \"llama\", \"hidden_size\": 64, \"intermediate_size\": 128, \"num_hidden_layers\": 2, \"num_attention_heads\": \"x\", \"vocab_size\": 10}", "\"num_attention_heads\" must be a positive integer (got \"x\")")]
    [InlineData("{\"model_type\": \"llama\", \"intermediate_size\": 128, \"num_hidden_layers\": 2, \"num_attention_heads\": 4, \"vocab_size\": 10}", "\"hidden_size\" is required")]
    [InlineData("{\"model_type\": \"llama\", \"hidden_size\": 64, \"intermediate_size\": 128, \"num_hidden_layers\": 0, \"num_attention_heads\": 4, \"vocab_size\": 10}", "\"num_hidden_layers\" must be a positive integer (got 0)")]
    [InlineData("{\"model_type\": \"llama\", \"hidden_size\": 64, \"intermediate_size\": 128, \"num_hidden_layers\": 2, \"num_attention_heads\": 4, \"num_key_value_heads\": 3, \"vocab_size\": 10}", "\"num_key_value_heads\" must divide num_attention_heads (4) (got 3)")]
    [InlineData("{\"model_type\": \"llama\", \"hidden_size\": 64, \"intermediate_size\": 128, \"num_hidden_layers\": 2, \"num_attention_heads\": 4, \"vocab_size\": 10, \"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4}}", "\"rope_scaling.rope_type\" \"yarn\" is not supported (supported: default, llama3)")]
    [InlineData("{\"model_type\": \"llama\", \"hidden_size\": 64, \"intermediate_size\": 128, \"num_hidden_layers\": 2, \"num_attention_heads\": 4, \"vocab_size\": 10, \"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8}}", "\"rope_scaling.low_freq_factor\" is required")]
    [InlineData("{\"model_type\": \"llama\", \"hidden_size\": 64, \"intermediate_size\": 128, \"num_hidden_layers\": 2, \"num_attention_heads\": 4, \"vocab_size\": 10, \"hidden_act\": \"relu\"}", "\"hidden_act\" must be one of")]
    [InlineData("{\"model_type\": \"llama\", \"hidden_size\": 64, \"intermediate_size\": 128, \"num_hidden_layers\": 2, \"num_attention_heads\": 4, \"vocab_size\": 10, \"tie_word_embeddings\": \"yes\"}", "\"tie_word_embeddings\" must be true or false")]
    [InlineData("{\"model_type\": \"llama\", \"hidden_size\": 60, \"intermediate_size\": 128, \"num_hidden_layers\": 2, \"num_attention_heads\": 8, \"vocab_size\": 10}", "\"hidden_size\" must be divisible by num_attention_heads (8)")]
    [InlineData("[1, 2]", "the top level must be a JSON object")]
    [InlineData("{\"model_type\": ", "invalid JSON")]
    public void BadConfigs_NameFileAndField(string json, string expected)
    {
        var e = Assert.Throws<ConfigException>(() => ModelConfig.FromJson(json, "my/config.json"));
        Assert.StartsWith("my/config.json: ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Load_MissingFile_NamesPath()
    {
        var e = Assert.Throws<ConfigException>(() => ModelConfig.Load("/nonexistent/config.json"));
        Assert.Contains("/nonexistent/config.json", e.Message);
    }
}
