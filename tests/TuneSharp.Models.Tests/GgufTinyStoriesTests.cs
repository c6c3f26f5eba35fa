// The real TinyStories-656K Q8_0 GGUF (llama.cpp conversion) against its F32 safetensors: name mapping, Q/K
// un-permutation and Q8_0 dequantization agree within Q8_0's rounding error.
using TuneSharp.Models.Config;
using TuneSharp.Models.Loading;
using TuneSharp.Tensors.IO.Gguf;
using TuneSharp.Tensors.Kernels.Quant;
using TuneSharp.Testing;

namespace TuneSharp.Models.Tests;

public sealed class GgufTinyStoriesTests
{
    private static readonly Lazy<(TestGguf Gguf, TestSafeTensors St, ModelConfig Config)> Files = new(() => (
        new TestGguf(SharedAssets.Require("models/tinystories-656k/TinyStories-656K-Q8_0.gguf")),
        new TestSafeTensors(SharedAssets.Require("models/tinystories-656k/model.safetensors")),
        ModelConfig.Load(SharedAssets.Require("models/tinystories-656k"))));

    private static float[] Dequantized(string ggufName, out long rows, out long cols)
    {
        var (g, _, _) = Files.Value;
        var (dims, type, _) = g.Tensors[ggufName];
        cols = dims[0];
        rows = dims.Length > 1 ? dims[1] : 1;
        var t = (GgmlType)type;
        var values = new float[rows * cols];
        GgmlQuant.Dequantize(t, g.Data(ggufName, GgmlQuant.ByteCount(t, values.Length)), values);
        return values;
    }

    [Fact]
    public void HeaderMatchesConfig()
    {
        var (g, _, c) = Files.Value;
        Assert.Equal("llama", g.Kv["general.architecture"]);
        Assert.Equal((long)c.NumAttentionHeads, g.Kv["llama.attention.head_count"]);
        Assert.Equal((long)c.NumKeyValueHeads, g.Kv["llama.attention.head_count_kv"]);
        Assert.Equal((long)c.HeadDim, g.Kv["llama.rope.dimension_count"]);
        Assert.Equal(20, g.Tensors.Count);
        // Every GGUF tensor maps to a name the config expects (output.weight is absent: tied).
        var expected = WeightNames.Expected(c).Select(s => s.Name).ToHashSet();
        foreach (var name in g.Tensors.Keys) Assert.Contains(GgufNames.ToHf(name)!, expected);
    }

    [Theory]
    [InlineData("token_embd.weight")]
    [InlineData("blk.0.attn_q.weight")]
    [InlineData("blk.1.attn_k.weight")]
    [InlineData("blk.0.attn_v.weight")]
    [InlineData("blk.1.attn_output.weight")]
    [InlineData("blk.0.ffn_gate.weight")]
    [InlineData("blk.1.ffn_down.weight")]
    [InlineData("blk.0.attn_norm.weight")]
    [InlineData("output_norm.weight")]
    public void Dequantized_MatchesSafetensors(string ggufName)
    {
        var (g, st, c) = Files.Value;
        var values = Dequantized(ggufName, out long rows, out long cols);
        bool permuted = GgufNames.IsPermutedQk(ggufName, out bool isKey);
        if (permuted)
        {
            var hfLayout = new float[values.Length];
            GgufQkPermutation.Unpermute<float>(values, hfLayout, isKey ? c.NumKeyValueHeads : c.NumAttentionHeads, (int)cols);
            values = hfLayout;
        }
        var hfName = GgufNames.ToHf(ggufName)!;
        var stored = st.Tensors.ContainsKey(hfName) ? hfName : WeightNames.TiedAlias(c, hfName)!;
        var reference = st.F32(stored);
        Assert.Equal(reference.Length, values.Length);
        Assert.Equal(st.Tensors[stored].Shape, rows == 1 ? [(int)cols] : [(int)rows, (int)cols]);

        if ((GgmlType)g.Tensors[ggufName].Type == GgmlType.F32)
        {
            NumericAssert.Close(reference, values, 0, 0, ggufName);
            return;
        }
        // Q8_0: each value is within one quantization step (block amax / 127) of the F32 weight, and the whole
        // tensor's relative RMS error is well under 1 %.
        double sq = 0, var = 0;
        for (int b = 0; b < reference.Length / 32; b++)
        {
            float amax = 0;
            for (int j = 0; j < 32; j++) amax = Math.Max(amax, Math.Abs(reference[32 * b + j]));
            for (int j = 0; j < 32; j++)
            {
                int i = 32 * b + j;
                double err = Math.Abs(values[i] - reference[i]);
                Assert.True(err <= amax / 127 + 1e-7, $"{ggufName}[{i}]: {values[i]} vs {reference[i]} (step {amax / 127})");
                sq += err * err;
                var += (double)reference[i] * reference[i];
            }
        }
        double rel = Math.Sqrt(sq / var);
        Assert.True(rel < 0.01, $"{ggufName}: relative RMS {rel}");
    }

    [Fact]
    public void WithoutUnpermute_QDoesNotMatch()
    {
        var (_, st, _) = Files.Value;
        var values = Dequantized("blk.0.attn_q.weight", out _, out _);
        var reference = st.F32(WeightNames.QProj(0));
        double sq = 0, var = 0;
        for (int i = 0; i < values.Length; i++) { sq += Math.Pow(values[i] - reference[i], 2); var += reference[i] * (double)reference[i]; }
        Assert.True(Math.Sqrt(sq / var) > 0.5, "the GGUF attn_q rows are expected to be permuted");
    }
}
