// KV-cache path details: BF16 weights (GEMV decode vs GEMM prefill), cache capacity errors, chat-mode prompt rendering.
using TuneSharp.Inference;
using TuneSharp.Testing;
using TuneSharp.Tokenizers;

namespace TuneSharp.Models.Tests;

public sealed class InferencePathTests
{
    private static string Fixture(string variant) => SharedAssets.Golden(Path.Combine("models", variant, "model"));

    [Theory]
    [InlineData("llama_gqa")]
    [InlineData("gemma2")]
    public void Bf16_DecodeSteps_MatchPrefill(string variant)
    {
        using var m = CausalLM.FromPretrained(Fixture(variant), new ModelLoadOptions { DType = ModelDType.BFloat16 });
        int v = m.Config.VocabSize, t = 9, batch = 2;
        var ids = Enumerable.Range(0, batch * t).Select(i => (i * 37 + 5) % v).ToArray();
        var all = new float[batch * t * v];
        m.Forward(m.CreateCache(batch, t), ids, default, all, allPositions: true);
        using (var input = CausalLMInput.Create(ids, batch))
            NumericAssert.Close(m.ComputeLogits(input), all, 1e-4, 1e-5, $"{variant} bf16 prefill vs training path");
        var cache = m.CreateCache(batch, t);
        var step = new float[batch * v];
        for (int i = 0; i < t; i++)
        {
            m.Forward(cache, new[] { ids[i], ids[t + i] }, default, step);
            for (int b = 0; b < batch; b++)
                NumericAssert.Close(all.AsSpan((b * t + i) * v, v), step.AsSpan(b * v, v), 1e-4, 1e-5, $"{variant} bf16 step {i} row {b}");
        }
        Assert.Throws<InvalidOperationException>(() => m.Forward(cache, new[] { 1, 1 }, default, step));
    }

    [Fact]
    public void ChatMode_RendersTemplateWithGenerationPrompt()
    {
        var folder = SharedAssets.Require("models/tinystories-656k");
        using var model = CausalLM.FromPretrained(folder);
        var tok = Tokenizer.FromPretrained(folder);
        var template = new ChatTemplate("{{ bos_token }}{% for m in messages %}{{ m['content'] }}{% endfor %}{% if add_generation_prompt %} Once{% endif %}", tok.BosToken, tok.EosToken);
        var g = new Generator(model, tok, template);
        var ids = g.EncodeChat([new Dictionary<string, object?> { ["role"] = "user", ["content"] = "The dog" }]);
        Assert.Equal(tok.Encode(tok.BosToken + "The dog Once", addSpecialTokens: false), ids);
        var r = g.Generate(ids, new GenerationOptions { MaxNewTokens = 5 });
        Assert.Equal(5, r.GeneratedIds.Length);
        Assert.Equal(FinishReason.Length, r.FinishReason);
    }
}
