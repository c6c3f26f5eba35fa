// Every architecture exported to GGUF is run by llama.cpp (LLamaSharp) and by our own GGUF reader: F32 files give the
// same greedy ids and teacher-forced argmax as the model they came from; quantized files keep most top-1 predictions.
using TuneSharp.Export.Gguf;
using TuneSharp.Models;
using TuneSharp.Tensors.IO.Gguf;
using Xunit.Abstractions;

namespace TuneSharp.Export.Tests;

public sealed class GgufExportTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ts-export-").FullName;
    private static readonly int[] Prompt = [1, 200, 17, 999, 45, 1500, 3, 77, 640, 12, 1023, 2047, 5, 88];

    public static TheoryData<string> Archs => new(TinyModels.Architectures);

    [Theory]
    [MemberData(nameof(Archs))]
    public void F32_LlamaCppAndOurReaderMatchTheSourceModel(string arch)
    {
        using var model = TinyModels.Create(arch);
        var path = Path.Combine(_dir, $"{arch}-f32.gguf");
        GgufModelWriter.Write(model, TinyModels.TokenizerFolder, GgufFileType.F32, path);

        var ours = TinyModels.Logits(model, Prompt);
        int v = model.Config.VocabSize;
        using var cpp = new LlamaCppModel(path);
        Assert.Equal(v, cpp.VocabSize);
        var theirs = cpp.Logits(Prompt);
        double maxDiff = 0, maxAbs = 0;
        for (int t = 0; t < Prompt.Length; t++)
        {
            var row = ours.AsSpan(t * v, v);
            Assert.Equal(LlamaCppModel.ArgMax(row), LlamaCppModel.ArgMax(theirs[t]));
            for (int i = 0; i < v; i++) { maxDiff = Math.Max(maxDiff, Math.Abs(row[i] - theirs[t][i])); maxAbs = Math.Max(maxAbs, Math.Abs(row[i])); }
        }
        output.WriteLine($"{arch}: max |logit diff| {maxDiff:G3} (max |logit| {maxAbs:G3})");
        Assert.True(maxDiff <= 2e-3 * Math.Max(1, maxAbs), $"{arch}: logits differ by {maxDiff}");
        Assert.Equal(TinyModels.Greedy(model, Prompt, 12), cpp.Greedy(Prompt, 12));

        // Our reader loads the file back into the same model.
        using var back = CausalLM.FromPretrained(path);
        Assert.Equal(model.Config.Architecture is Models.Config.ModelArchitecture.Mistral ? Models.Config.ModelArchitecture.Llama : model.Config.Architecture, back.Config.Architecture);
        var again = TinyModels.Logits(back, Prompt);
        for (int i = 0; i < ours.Length; i++) Assert.True(Math.Abs(ours[i] - again[i]) <= 1e-4f * Math.Max(1, Math.Abs(ours[i])), $"{arch}: reader logit {i} {again[i]} vs {ours[i]}");
    }

    [Theory]
    [InlineData("llama", GgufFileType.Q8_0)]
    [InlineData("qwen2", GgufFileType.Q4_K_M)]
    [InlineData("qwen3", GgufFileType.Q4_0)]
    [InlineData("gemma", GgufFileType.Q8_0)] // tied, embedding scaled by √hidden
    public void KeptQuantized_MatchesDequantizeAtLoad(string arch, GgufFileType type)
    {
        using var model = TinyModels.Create(arch);
        var path = Path.Combine(_dir, $"{arch}-{type}-kept.gguf");
        GgufModelWriter.Write(model, TinyModels.TokenizerFolder, type, path);
        using var dense = CausalLM.FromPretrained(path, new ModelLoadOptions { KeepGgufQuantized = false });
        using var kept = CausalLM.FromPretrained(path);
        int keptCount = kept.Linears.Count(l => l.GgmlWeight != null);
        Assert.True(keptCount > 0, $"{arch} {type}: no linear kept quantized");
        Assert.All(dense.Linears, l => Assert.Null(l.GgmlWeight));
        // The token embedding stays quantized too (and is the tied head's matrix), so resident weights ≈ the file.
        Assert.NotNull(kept.EmbedTokens.GgmlWeight);
        if (kept.TiedEmbeddings) Assert.Same(kept.EmbedTokens.GgmlWeight, kept.LmHead.GgmlWeight);
        long resident = kept.Linears.Select(l => l.GgmlWeight).Append(kept.EmbedTokens.GgmlWeight).Append(kept.LmHead.GgmlWeight)
            .OfType<Tensors.Kernels.Quant.GgmlQuantMatrix>().Distinct().Sum(q => q.ResidentBytes)
            + kept.NamedParameters().Sum(p => p.Parameter.Value.ByteLength);
        long file = new FileInfo(path).Length;
        output.WriteLine($"{arch} {type}: resident weight bytes {resident:N0}, file {file:N0}");
        Assert.InRange(resident, file * 0.9, file * 1.02);
        int v = model.Config.VocabSize;
        var a = TinyModels.Logits(dense, Prompt);
        var b = TinyModels.Logits(kept, Prompt);
        double maxDiff = 0, maxAbs = 0;
        int agree = 0;
        for (int t = 0; t < Prompt.Length; t++)
        {
            if (LlamaCppModel.ArgMax(a.AsSpan(t * v, v)) == LlamaCppModel.ArgMax(b.AsSpan(t * v, v))) agree++;
            for (int i = t * v; i < (t + 1) * v; i++) { maxDiff = Math.Max(maxDiff, Math.Abs(a[i] - b[i])); maxAbs = Math.Max(maxAbs, Math.Abs(a[i])); }
        }
        output.WriteLine($"{arch} {type}: {keptCount} linears kept quantized; top-1 {agree}/{Prompt.Length}, max |logit diff| {maxDiff:G3} (max |logit| {maxAbs:G3})");
        // The kept path quantizes activations per block (Q8_0 / Q8_K) as ggml does: measured ≤ 2.5% of the logit scale;
        // tiny random models have near-tied logits, so up to 2 of 14 argmax flips are allowed.
        Assert.True(agree >= Prompt.Length - 2, $"{arch} {type}: top-1 agreement {agree}/{Prompt.Length}");
        Assert.True(maxDiff <= 0.05 * Math.Max(1, maxAbs), $"{arch} {type}: logits differ by {maxDiff} (max |logit| {maxAbs})");
    }

    [Theory]
    [InlineData("llama", GgufFileType.Q8_0, 0.95)]
    [InlineData("llama", GgufFileType.Q4_0, 0.7)]
    [InlineData("qwen2", GgufFileType.Q4_K_M, 0.5)] // random weights, close logits: the llama.cpp agreement is the point
    [InlineData("gemma2", GgufFileType.Q5_K_M, 0.8)]
    [InlineData("qwen3", GgufFileType.Q6_K, 0.85)]
    [InlineData("gemma", GgufFileType.F16, 0.95)]
    [InlineData("mistral", GgufFileType.BF16, 0.9)]
    public void Quantized_LlamaCppAgreesWithOurReaderAndKeepsTop1(string arch, GgufFileType type, double minTop1)
    {
        using var model = TinyModels.Create(arch);
        var path = Path.Combine(_dir, $"{arch}-{type}.gguf");
        var written = GgufModelWriter.Write(model, TinyModels.TokenizerFolder, type, path);
        output.WriteLine(string.Join(", ", written.GroupBy(w => w.Type).Select(g => $"{g.Key}×{g.Count()}")));
        var f = GgufFile.Open(path);
        Assert.Equal(written.Select(w => (w.Name, w.Type)), f.Tensors.Select(t => (t.Name, t.Type)));

        int v = model.Config.VocabSize;
        var reference = TinyModels.Logits(model, Prompt);
        using var back = CausalLM.FromPretrained(path);
        var ours = TinyModels.Logits(back, Prompt);
        using var cpp = new LlamaCppModel(path);
        var theirs = cpp.Logits(Prompt);
        int agreeRef = 0, agreeCpp = 0;
        for (int t = 0; t < Prompt.Length; t++)
        {
            int a = LlamaCppModel.ArgMax(ours.AsSpan(t * v, v));
            if (a == LlamaCppModel.ArgMax(reference.AsSpan(t * v, v))) agreeRef++;
            if (a == LlamaCppModel.ArgMax(theirs[t])) agreeCpp++;
        }
        output.WriteLine($"{arch} {type}: top-1 vs source {agreeRef}/{Prompt.Length}, vs llama.cpp {agreeCpp}/{Prompt.Length}");
        Assert.True(agreeRef >= minTop1 * Prompt.Length, $"{arch} {type}: top-1 agreement with the source {agreeRef}/{Prompt.Length}");
        Assert.True(agreeCpp >= Prompt.Length - 1, $"{arch} {type}: our reader and llama.cpp disagree on {Prompt.Length - agreeCpp} positions");
    }

    [Fact]
    public void QuantMix_FollowsLlamaQuantize()
    {
        // 16 layers: use_more_bits picks layers 0, 1, 4, 7, 10, 13, 14, 15 (first/last eighth, every third between).
        var t = new GgufTensorTypes(GgufFileType.Q4_K_M, 16, hasOutput: true);
        var v = Enumerable.Range(0, 16).Select(i => t.TypeOf($"blk.{i}.attn_v.weight", 256, 2)).ToArray();
        int[] more = [0, 1, 4, 7, 10, 13, 14, 15];
        for (int i = 0; i < 16; i++) Assert.Equal(more.Contains(i) ? GgmlType.Q6_K : GgmlType.Q4_K, v[i]);
        Assert.Equal(GgmlType.Q6_K, t.TypeOf("output.weight", 256, 2));
        Assert.Equal(GgmlType.Q4_K, t.TypeOf("token_embd.weight", 256, 2));
        Assert.Equal(GgmlType.F32, t.TypeOf("blk.0.attn_norm.weight", 256, 1));
        Assert.Equal(GgmlType.Q5_0, t.TypeOf("blk.0.attn_q.weight", 64, 2));
        var tied = new GgufTensorTypes(GgufFileType.Q4_0, 2, hasOutput: false);
        Assert.Equal(GgmlType.Q6_K, tied.TypeOf("token_embd.weight", 256, 2));
        Assert.Equal(GgmlType.Q8_0, tied.TypeOf("token_embd.weight", 96, 2) is var x && x == GgmlType.Q8_0 ? x : x);
    }

    [Fact]
    public void TinyStories_RealModel_GreedyIdsEqualLlamaCpp()
    {
        using var model = CausalLM.FromPretrained(TinyModels.TokenizerFolder);
        var path = Path.Combine(_dir, "tinystories-f32.gguf");
        GgufModelWriter.Write(model, TinyModels.TokenizerFolder, GgufFileType.F32, path);
        using var cpp = new LlamaCppModel(path);
        var tok = Models.Loading.TokenizerFiles.FromPretrained(TinyModels.TokenizerFolder);
        var prompt = tok.Encode("Once upon a time, there was a little", addSpecialTokens: true);
        Assert.Equal(prompt, cpp.Tokenize("Once upon a time, there was a little", addBos: true));
        Assert.Equal(TinyModels.Greedy(model, prompt, 24), cpp.Greedy(prompt, 24));
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
