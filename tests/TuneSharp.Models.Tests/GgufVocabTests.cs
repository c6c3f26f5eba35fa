// Reproduces llama.cpp's tokenizer tests: every .inp case of shared/assets/tokenizer-tests must give the ids in .out.
using System.Text;
using TuneSharp.Testing;
using TuneSharp.Models.Loading;
using TuneSharp.Tensors.IO.Gguf;
using Xunit.Abstractions;

namespace TuneSharp.Models.Tests;

public sealed class GgufVocabTests(ITestOutputHelper output)
{
    public static TheoryData<string> Vocabs => new() { "ggml-vocab-llama-spm", "ggml-vocab-gpt-2", "ggml-vocab-phi-3", "ggml-vocab-bert-bge" };

    [Theory]
    [MemberData(nameof(Vocabs))]
    public void MatchesLlamaCppTests(string name)
    {
        var path = SharedAssets.Require(Path.Combine("tokenizer-tests", name + ".gguf"));
        var tok = TokenizerFiles.FromFile(path);
        var inputs = File.ReadAllText(path + ".inp", Encoding.UTF8).Split("\n__ggml_vocab_test__\n");
        var expected = File.ReadAllLines(path + ".out", Encoding.UTF8);
        Assert.Equal(expected.Length, inputs.Length - 1);
        int bad = 0;
        var report = new StringBuilder();
        for (int i = 0; i < expected.Length; i++)
        {
            var want = expected[i].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
            var got = tok.Encode(inputs[i], addSpecialTokens: false);
            if (got.SequenceEqual(want)) continue;
            bad++;
            report.AppendLine($"#{i} {System.Text.Json.JsonSerializer.Serialize(inputs[i])}\n  expected {string.Join(' ', want)}\n  actual   {string.Join(' ', got)}");
        }
        output.WriteLine($"{name}: {expected.Length} cases, {bad} mismatches");
        Assert.True(bad == 0, $"{name}: {bad}/{expected.Length} mismatches\n{report}");
    }

    [Theory]
    [InlineData("ggml-vocab-gpt-2")]
    [InlineData("ggml-vocab-llama-spm")]
    [InlineData("ggml-vocab-phi-3")]
    public void DecodeRoundTripsEveryInput(string name)
    {
        var path = SharedAssets.Require(Path.Combine("tokenizer-tests", name + ".gguf"));
        var tok = TokenizerFiles.FromFile(path);
        foreach (var text in File.ReadAllText(path + ".inp", Encoding.UTF8).Split("\n__ggml_vocab_test__\n")[..^1])
            Assert.Equal(text, tok.Decode(tok.Encode(text, addSpecialTokens: false)));
    }

    [Fact]
    public void ReadsHeaderMetadataAndTensorInfos()
    {
        var f = GgufFile.Open(SharedAssets.Require("models/tinystories-656k/TinyStories-656K-Q8_0.gguf"));
        Assert.Equal(3u, f.Version);
        Assert.Equal("llama", f.GetString("general.architecture"));
        Assert.NotEmpty(f.Tensors);
        var emb = f.Tensors.First(t => t.Name == "token_embd.weight");
        Assert.Equal(2, emb.Dims.Length);
        Assert.Contains(2048L, emb.Dims);
        Assert.Equal(0, f.DataOffset % f.Alignment);
        Assert.All(f.Tensors, t => Assert.True(f.TensorDataOffset(t) < new FileInfo(f.Path).Length));
        var tok = TokenizerFiles.FromFile(f.Path);
        Assert.Equal(2048, tok.VocabSize);
        Assert.Equal("Once upon a time", tok.Decode(tok.Encode("Once upon a time"), skipSpecialTokens: true));
    }

    [Fact]
    public void TruncatedFileGivesClearError()
    {
        var src = SharedAssets.Require("tokenizer-tests/ggml-vocab-gpt-2.gguf");
        var tmp = Path.Combine(Path.GetTempPath(), $"trunc-{Guid.NewGuid():N}.gguf");
        File.WriteAllBytes(tmp, File.ReadAllBytes(src)[..5000]);
        try
        {
            var e = Assert.Throws<GgufFormatException>(() => GgufFile.Open(tmp));
            Assert.Contains("truncated", e.Message);
            Assert.Contains(tmp, e.Message);
        }
        finally { File.Delete(tmp); }
    }
}
