// Issue 14 case 3: absurd sizes in config.json or a GGUF header fail with key, value and range before anything is allocated.
using System.Text;
using TuneSharp.Models.Config;
using TuneSharp.Testing;

namespace TuneSharp.Models.Tests;

public sealed class ModelConfigLimitsTests
{
    private const string Tiny = """
        {"model_type": "llama", "vocab_size": 48, "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": LAYERS,
         "num_attention_heads": 2, "num_key_value_heads": 1, "max_position_embeddings": 128}
        """;

    [Theory]
    [InlineData("num_hidden_layers", "1000000")]
    [InlineData("vocab_size", "2000000000")]
    [InlineData("hidden_size", "1000000")]
    [InlineData("max_position_embeddings", "2147483647")]
    public void OutOfRangeSizesNameKeyValueAndRange(string key, string value)
    {
        var json = Tiny.Replace("LAYERS", "2", StringComparison.Ordinal);
        json = System.Text.RegularExpressions.Regex.Replace(json, $"\"{key}\": \\d+", $"\"{key}\": {value}");
        long before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<ConfigException>(() => ModelConfig.FromJson(json, "big/config.json"));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 10_000_000);
        Assert.Contains($"big/config.json: {key} = {value} is outside the supported range", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ImpliedParameterCountIsBounded()
    {
        var json = """{"model_type": "llama", "vocab_size": 4000000, "hidden_size": 65536, "intermediate_size": 262144, "num_hidden_layers": 1000, "num_attention_heads": 512}""";
        var ex = Assert.Throws<ConfigException>(() => ModelConfig.FromJson(json, "c.json"));
        Assert.Contains("parameters", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GgufBlockCountOutOfRangeIsRefused()
    {
        var src = SharedAssets.Require("models/tinystories-656k/TinyStories-656K-Q8_0.gguf");
        var bytes = File.ReadAllBytes(src);
        var key = Encoding.UTF8.GetBytes("llama.block_count");
        int at = bytes.AsSpan().IndexOf(key);
        Assert.True(at > 0);
        int type = BitConverter.ToInt32(bytes, at + key.Length);
        Assert.Equal(4, type); // GGUF_TYPE_UINT32
        BitConverter.TryWriteBytes(bytes.AsSpan(at + key.Length + 4, 4), 1_000_000u);
        var dir = Directory.CreateTempSubdirectory("tunesharp-gguf-").FullName;
        try
        {
            var path = Path.Combine(dir, "bad.gguf");
            File.WriteAllBytes(path, bytes);
            var ex = Assert.IsType<ModelLoadException>(Record.Exception(() => CausalLM.FromPretrained(path)));
            Assert.Contains("llama.block_count = 1000000 is outside the supported range 1..1024", ex.Message, StringComparison.Ordinal);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
