// Generation with unmerged LoRA adapters (several on one base, chosen per request or per batch row) against the
// PyTorch mirror with PEFT's LoRA math (tests/golden/gen_adapters.py), for every architecture.
using System.Text.Json;
using TuneSharp.Inference;
using TuneSharp.Nn;
using TuneSharp.Nn.Peft;
using TuneSharp.Testing;
using TuneSharp.Tokenizers;

namespace TuneSharp.Models.Tests;

public sealed class AdapterGenerationTests
{
    public static TheoryData<string> Variants => new() { "llama_gqa", "llama3_tied_bias", "mistral_swa", "qwen2_tied", "qwen3", "gemma", "gemma2" };

    private static readonly Lazy<Tokenizer> Tok = new(() => Tokenizer.FromPretrained(SharedAssets.Require("models/tinystories-656k")));

    private static string Dir(string variant) => SharedAssets.Golden(Path.Combine("adapters", variant));

    private static CausalLM Model(string variant) => CausalLM.FromPretrained(SharedAssets.Golden(Path.Combine("models", variant, "model")));

    private sealed record Meta(int[][] Prompts, Dictionary<string, int[][]> Generated);

    private static Meta ReadMeta(string variant)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir(variant), "meta.json")));
        int[][] Ids(JsonElement e) => e.EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetInt32()).ToArray()).ToArray();
        var gen = doc.RootElement.GetProperty("generated").EnumerateObject().ToDictionary(p => p.Name, p => Ids(p.Value));
        return new Meta(Ids(doc.RootElement.GetProperty("prompt_ids")), gen);
    }

    /// <summary>The reference ids cut after the first id the generator stops on (HF generate stops at EOS too).</summary>
    private static int[] UpToStop(int[] ids, HashSet<int> stop)
    {
        int i = Array.FindIndex(ids, stop.Contains);
        return i < 0 ? ids : ids[..(i + 1)];
    }

    // The fixtures have no tokenizer of their own; TinyStories' only decodes text here (ids are what is compared).
    private static Generator Generator(string variant) => new(Model(variant), Tok.Value);

    private static GenerationOptions Greedy(string? adapter, int n) => new() { MaxNewTokens = n, Adapter = adapter };

    [Theory]
    [MemberData(nameof(Variants))]
    public void UnmergedAdapter_TeacherForcedLogits_MatchPeftMirror(string variant)
    {
        using var model = Model(variant);
        PeftAdapter.Load(Path.Combine(Dir(variant), "a"), model);
        var meta = ReadMeta(variant);
        var expected = GoldenTensorFile(variant);
        using var input = CausalLMInput.Create(meta.Prompts[0], 1);
        NumericAssert.Close(expected, model.ComputeLogits(input), 1e-4, 1e-5, $"{variant} logits with adapter a");
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Greedy_WithSeveralUnmergedAdapters_EqualsPeftMirror(string variant)
    {
        var g = Generator(variant);
        using var _ = g.Model;
        g.LoadAdapter(Path.Combine(Dir(variant), "a"), "a");
        g.LoadAdapter(Path.Combine(Dir(variant), "b"), "b");
        var meta = ReadMeta(variant);
        var stop = g.StopIds(new GenerationOptions());
        foreach (var (setting, adapter) in new[] { ("base", (string?)null), ("a", "a"), ("b", "b") })
            for (int p = 0; p < meta.Prompts.Length; p++)
            {
                var want = UpToStop(meta.Generated[setting][p], stop);
                var r = g.Generate(meta.Prompts[p], Greedy(adapter, meta.Generated[setting][p].Length));
                Assert.True(want.SequenceEqual(r.GeneratedIds), $"{variant} {setting} prompt {p}: [{string.Join(",", r.GeneratedIds)}] vs PyTorch [{string.Join(",", want)}]");
            }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Batch_MixingAdapters_EqualsEachRowAlone(string variant)
    {
        var g = Generator(variant);
        using var _ = g.Model;
        g.LoadAdapter(Path.Combine(Dir(variant), "a"), "a");
        g.LoadAdapter(Path.Combine(Dir(variant), "b"), "b");
        var meta = ReadMeta(variant);
        var stop = g.StopIds(new GenerationOptions());
        int n = meta.Generated["a"][0].Length;
        // Prompts of different lengths (left padding) and every adapter choice, base included, in one batch.
        var rows = new (int Prompt, string? Adapter, string Setting)[] { (0, "a", "a"), (1, "b", "b"), (0, null, "base"), (1, "a", "a"), (0, "b", "b") };
        var results = g.GenerateBatch(rows.Select(r => (IReadOnlyList<int>)meta.Prompts[r.Prompt]).ToList(), Greedy(null, n), adapters: rows.Select(r => r.Adapter).ToList());
        for (int i = 0; i < rows.Length; i++)
        {
            var solo = g.Generate(meta.Prompts[rows[i].Prompt], Greedy(rows[i].Adapter, n)).GeneratedIds;
            var want = UpToStop(meta.Generated[rows[i].Setting][rows[i].Prompt], stop);
            Assert.True(solo.SequenceEqual(results[i].GeneratedIds), $"{variant} row {i} ({rows[i].Setting}): batch [{string.Join(",", results[i].GeneratedIds)}] vs alone [{string.Join(",", solo)}]");
            Assert.Equal(want, results[i].GeneratedIds);
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void MergedAdapter_GeneratesTheUnmergedIds(string variant)
    {
        var g = Generator(variant);
        using var _ = g.Model;
        var lora = g.LoadAdapter(Path.Combine(Dir(variant), "a"));
        var meta = ReadMeta(variant);
        var unmerged = g.Generate(meta.Prompts[0], Greedy(AdapterSelection.DefaultName, 10)).GeneratedIds;
        lora.Merge();
        var merged = g.Generate(meta.Prompts[0], Greedy(AdapterSelection.DefaultName, 10)).GeneratedIds;
        Assert.Equal(unmerged, merged);
        Assert.Equal(UpToStop(meta.Generated["a"][0], g.StopIds(new GenerationOptions())), merged);
    }

    [Theory]
    [InlineData("llama_gqa")]
    [InlineData("qwen3")]
    [InlineData("gemma2")]
    public void QLoraAdapter_Unmerged_EqualsMergedIntoDequantizedBase(string variant)
    {
        var g = Generator(variant);
        using var _ = g.Model;
        Nn.Lora.LoraModel.QuantizeBaseWeights(g.Model.Linears);
        var lora = g.LoadAdapter(Path.Combine(Dir(variant), "a"));
        var meta = ReadMeta(variant);
        var prompts = meta.Prompts.Select(p => (IReadOnlyList<int>)p).ToList();
        var unmerged = g.GenerateBatch(prompts, Greedy(AdapterSelection.DefaultName, 10));
        using (var input = CausalLMInput.Create(meta.Prompts[0], 1))
        {
            var before = g.Model.ComputeLogits(input);
            lora.Merge();
            NumericAssert.Close(before, g.Model.ComputeLogits(input), 1e-4, 1e-5, $"{variant} NF4 + adapter: unmerged vs merged logits");
        }
        var merged = g.GenerateBatch(prompts, Greedy(AdapterSelection.DefaultName, 10));
        for (int i = 0; i < prompts.Count; i++) Assert.Equal(merged[i].GeneratedIds, unmerged[i].GeneratedIds);
    }

    [Fact]
    public void UnknownAdapterName_IsAClearError()
    {
        var g = Generator("llama_gqa");
        using var _ = g.Model;
        g.LoadAdapter(Path.Combine(Dir("llama_gqa"), "a"), "a");
        var e = Assert.Throws<ArgumentException>(() => g.Generate([1, 2, 3], Greedy("sql", 2)));
        Assert.Contains("no adapter named 'sql'", e.Message);
        Assert.Contains("a", e.Message);
    }

    private static float[] GoldenTensorFile(string variant)
    {
        using var f = Tensors.IO.SafeTensorsFile.Open(Path.Combine(Dir(variant), "expected.safetensors"));
        using var t = f.GetTensor("logits.a");
        return t.ToFloatArray();
    }
}
