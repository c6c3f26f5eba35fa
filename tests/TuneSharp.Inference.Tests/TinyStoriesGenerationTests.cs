// Real weights: TinyStories-656K greedy generation against the PyTorch ids, its Q8_0 GGUF twin, sampling, stop
// strings and batching through the Generator.
using System.Text.Json;
using TuneSharp.Models;
using TuneSharp.Testing;

namespace TuneSharp.Inference.Tests;

public sealed class TinyStoriesGenerationTests
{
    private static readonly Lazy<Generator> Gen = new(() => Generator.FromPretrained(SharedAssets.Require("models/tinystories-656k")));

    private static JsonElement Meta() =>
        JsonDocument.Parse(File.ReadAllText(SharedAssets.Golden("models/tinystories/meta.json"))).RootElement;

    private static int[] Ints(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt32()).ToArray();

    [Fact]
    public void Greedy_MatchesPyTorchIds()
    {
        var meta = Meta();
        var g = Gen.Value;
        var prompt = g.Encode(meta.GetProperty("prompt").GetString()!);
        Assert.Equal(Ints(meta.GetProperty("prompt_ids")), prompt);
        var expected = Ints(meta.GetProperty("greedy_new_ids"));
        var r = g.Generate(prompt, new GenerationOptions { MaxNewTokens = expected.Length });
        Assert.Equal(expected, r.GeneratedIds);
        Assert.Equal(g.Tokenizer.Decode(expected), r.Text);
    }

    [Fact]
    public void Logits_MatchPyTorch()
    {
        var meta = Meta();
        var ids = Ints(meta.GetProperty("logits_input_ids"));
        using var expectedFile = TuneSharp.Tensors.IO.SafeTensorsFile.Open(SharedAssets.Golden("models/tinystories/expected.safetensors"));
        using var expected = expectedFile.GetTensor("logits");
        using var input = CausalLMInput.Create(ids, 1);
        NumericAssert.Close(expected.Span, Gen.Value.Model.ComputeLogits(input), Tolerances.TorchForwardRtol, Tolerances.TorchForwardAtol, "tinystories logits");
    }

    [Fact]
    public void Gguf_Q8_0_LogitsWithinQuantizationError()
    {
        var meta = Meta();
        var ids = Ints(meta.GetProperty("logits_input_ids"));
        var gguf = SharedAssets.Require("models/tinystories-656k/TinyStories-656K-Q8_0.gguf");
        using var q8 = CausalLM.FromPretrained(gguf);
        var st = Gen.Value.Model;
        Assert.Equal(st.Config.ToString(), q8.Config.ToString());
        using var input = CausalLMInput.Create(ids, 1);
        var a = st.ComputeLogits(input);
        var b = q8.ComputeLogits(input);
        // Q8_0 weights carry ~0.4 % relative error each; through 2 layers the logits stay within a few percent RMS
        // and the argmax agrees almost everywhere.
        double sq = 0, var = 0;
        for (int i = 0; i < a.Length; i++) { sq += Math.Pow(a[i] - b[i], 2); var += (double)a[i] * a[i]; }
        double rel = Math.Sqrt(sq / var);
        Assert.True(rel < 0.03, $"GGUF Q8_0 logits relative RMS error {rel}");
        int v = st.Config.VocabSize, agree = 0;
        for (int t = 0; t < ids.Length; t++)
            if (LogitsSampler.ArgMax(a.AsSpan(t * v, v)) == LogitsSampler.ArgMax(b.AsSpan(t * v, v))) agree++;
        Assert.True(agree >= ids.Length - 1, $"argmax agrees at {agree}/{ids.Length} positions");
        // The GGUF tokenizer encodes the prompt the same way.
        var tok = TuneSharp.Models.Loading.TokenizerFiles.FromFile(gguf);
        Assert.Equal(Ints(meta.GetProperty("prompt_ids")), tok.Encode(meta.GetProperty("prompt").GetString()!));
    }

    [Fact]
    public void Sampling_IsReproduciblePerSeed()
    {
        var g = Gen.Value;
        var prompt = g.Encode("Once upon a time");
        var o = new GenerationOptions { MaxNewTokens = 24, Temperature = 1.0f, TopK = 50, TopP = 0.95f, MinP = 0.01f, RepetitionPenalty = 1.1f, Seed = 7 };
        var a = g.Generate(prompt, o);
        var b = g.Generate(prompt, o);
        Assert.Equal(a.GeneratedIds, b.GeneratedIds);
        var others = Enumerable.Range(8, 4).Select(s => g.Generate(prompt, o with { Seed = s }).GeneratedIds).ToList();
        Assert.Contains(others, x => !x.SequenceEqual(a.GeneratedIds));
    }

    [Fact]
    public void StopString_CutsTextAndStreamingMatches()
    {
        var g = Gen.Value;
        var prompt = g.Encode("Once upon a time");
        var full = g.Generate(prompt, new GenerationOptions { MaxNewTokens = 40 }).Text;
        // Pick a stop string from the middle of the greedy text.
        int at = full.IndexOf(' ', full.Length / 2);
        string stop = full.Substring(at, 4);
        var streamed = new System.Text.StringBuilder();
        var r = g.Generate(prompt, new GenerationOptions { MaxNewTokens = 40, StopStrings = [stop] }, s => streamed.Append(s));
        Assert.Equal(FinishReason.StopString, r.FinishReason);
        Assert.Equal(full[..full.IndexOf(stop, StringComparison.Ordinal)], r.Text);
        Assert.Equal(r.Text, streamed.ToString());
        Assert.DoesNotContain(stop, r.Text);
    }

    [Fact]
    public async Task StreamAsync_YieldsTheGeneratedText()
    {
        var g = Gen.Value;
        var prompt = g.Encode("Once upon a time");
        var expected = g.Generate(prompt, new GenerationOptions { MaxNewTokens = 16 }).Text;
        var sb = new System.Text.StringBuilder();
        await foreach (var piece in g.StreamAsync(prompt, new GenerationOptions { MaxNewTokens = 16 })) sb.Append(piece);
        Assert.Equal(expected, sb.ToString());
    }

    [Fact]
    public void Batch_EqualsIndividualGreedy()
    {
        var g = Gen.Value;
        string[] prompts = ["Once upon a time", "The little dog", "Lily and Tom went to the park. They"];
        var o = new GenerationOptions { MaxNewTokens = 20, RepetitionPenalty = 1.2f };
        var batch = g.GenerateBatch(prompts, o);
        for (int i = 0; i < prompts.Length; i++)
        {
            var single = g.Generate(prompts[i], o);
            Assert.Equal(single.GeneratedIds, batch[i].GeneratedIds);
            Assert.Equal(single.Text, batch[i].Text);
        }
    }

    [Fact]
    public void StopToken_EndsGeneration()
    {
        var g = Gen.Value;
        var prompt = g.Encode("Once upon a time");
        var greedy = g.Generate(prompt, new GenerationOptions { MaxNewTokens = 10 });
        int stopId = greedy.GeneratedIds[3];
        var r = g.Generate(prompt, new GenerationOptions { MaxNewTokens = 10, StopTokenIds = [stopId] });
        Assert.Equal(FinishReason.Stop, r.FinishReason);
        Assert.Equal(greedy.GeneratedIds[..4], r.GeneratedIds);
    }
}
