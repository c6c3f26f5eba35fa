// The architecture table: one row per architecture, each reachable by model_type and by HF class name.
using TuneSharp.Models.Config;

namespace TuneSharp.Models.Tests;

public sealed class ArchitectureTableTests
{
    [Fact]
    public void EveryArchitecture_HasExactlyOneRow()
    {
        foreach (var a in Enum.GetValues<ModelArchitecture>())
            Assert.Single(ArchitectureTable.All, r => r.Architecture == a);
        Assert.Equal(ArchitectureTable.All.Count, ArchitectureTable.All.Select(r => r.ModelType).Distinct().Count());
    }

    [Theory]
    [InlineData("llama"), InlineData("mistral"), InlineData("qwen2"), InlineData("qwen3"), InlineData("gemma"), InlineData("gemma2")]
    public void ModelTypeAndClassName_ParseToTheSameRowWithItsDefaults(string modelType)
    {
        var row = ArchitectureTable.ByModelType(modelType)!;
        const string dims = "\"hidden_size\": 64, \"intermediate_size\": 128, \"num_hidden_layers\": 2, \"num_attention_heads\": 4, \"vocab_size\": 100";
        var byType = ModelConfig.FromJson($"{{\"model_type\": \"{modelType}\", {dims}}}");
        var byClass = ModelConfig.FromJson($"{{\"architectures\": [\"{row.HfClass}\"], {dims}}}");
        foreach (var c in new[] { byType, byClass })
        {
            Assert.Same(row, c.Defaults);
            Assert.Equal(row.HeadDim ?? 16, c.HeadDim);
            Assert.Equal(row.MaxPositionEmbeddings, c.MaxPositionEmbeddings);
            Assert.Equal(row.TieWordEmbeddings, c.TieWordEmbeddings);
            Assert.Equal(row.BosTokenId, c.BosTokenId);
            Assert.Equal(row.FinalLogitSoftcapping, c.FinalLogitSoftcapping);
            Assert.Equal(row.QkNorm, c.HasQkNorm);
            Assert.Equal(row.PostNorms, c.HasPostNorms);
        }
    }

    [Fact]
    public void UnknownModelType_NamesTheSupportedOnes()
    {
        var e = Assert.Throws<ConfigException>(() => ModelConfig.FromJson("{\"model_type\": \"phi3\", \"hidden_size\": 8}"));
        Assert.Contains("phi3", e.Message);
        Assert.Contains(string.Join(", ", ArchitectureTable.All.Select(a => a.ModelType)), e.Message);
    }
}
