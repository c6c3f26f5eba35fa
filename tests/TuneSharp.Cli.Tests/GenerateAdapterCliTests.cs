// `tunesharp generate --adapter` (unmerged, one or several adapters) gives the ids of the PyTorch mirror with PEFT's
// LoRA math (tests/golden/gen_adapters.py) and of the merged model.
using System.Text.Json;
using TuneSharp.Testing;

namespace TuneSharp.Cli.Tests;

[Collection("cli")]
public sealed class GenerateAdapterCliTests
{
    /// <summary>A fixture model folder with TinyStories' tokenizer beside it (the fixtures have none; ids are compared).</summary>
    private static string ModelWithTokenizer(string variant)
    {
        var dir = CliRunner.TempDir("gen-" + variant);
        var src = SharedAssets.Golden(Path.Combine("models", variant, "model"));
        foreach (var f in Directory.GetFiles(src)) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        var tok = SharedAssets.Require("models/tinystories-656k");
        foreach (var f in new[] { "tokenizer.json", "tokenizer_config.json" }) File.Copy(Path.Combine(tok, f), Path.Combine(dir, f));
        return dir;
    }

    private static (int[] Prompt, int[] Expected) Case(string variant, string setting)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(SharedAssets.Golden(Path.Combine("adapters", variant, "meta.json"))));
        var prompt = doc.RootElement.GetProperty("prompt_ids")[0].EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var ids = doc.RootElement.GetProperty("generated").GetProperty(setting)[0].EnumerateArray().Select(e => e.GetInt32()).ToArray();
        return (prompt, ids);
    }

    private static int[] Generate(params string[] args)
    {
        var (code, stdout, stderr) = CliRunner.Run(["generate", .. args, "--temperature", "0", "--json"]);
        Assert.True(code == 0, $"exit {code}: {stderr}");
        using var doc = JsonDocument.Parse(stdout);
        return doc.RootElement.GetProperty("generated_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
    }

    [Theory]
    [InlineData("llama_gqa"), InlineData("qwen3"), InlineData("gemma2")]
    public void UnmergedAdapters_FromTheCommandLine_EqualPyTorch(string variant)
    {
        var model = ModelWithTokenizer(variant);
        try
        {
            string a = SharedAssets.Golden(Path.Combine("adapters", variant, "a")), b = SharedAssets.Golden(Path.Combine("adapters", variant, "b"));
            foreach (var (setting, args) in new[]
            {
                ("a", new[] { "--adapter", a }),
                ("b", new[] { "--adapter", "a=" + a, "--adapter", "b=" + b, "--use-adapter", "b" }),
                ("base", new[] { "--adapter", "a=" + a, "--use-adapter", "none" }),
            })
            {
                var (prompt, expected) = Case(variant, setting);
                var got = Generate(["--model", model, .. args, "--prompt-ids", string.Join(",", prompt), "--max-new-tokens", expected.Length.ToString()]);
                // The CLI stops at EOS (config eos or TinyStories' </s> = 2); PyTorch ran the full length.
                int stop = Array.FindIndex(expected, id => id is 1 or 2);
                var want = stop < 0 ? expected : expected[..(stop + 1)];
                Assert.True(want.SequenceEqual(got), $"{variant} {setting}: [{string.Join(",", got)}] vs PyTorch [{string.Join(",", want)}]");
            }
        }
        finally { Directory.Delete(model, recursive: true); }
    }

    [Fact]
    public void SeveralAdaptersWithoutAChoice_IsAClearError()
    {
        var model = ModelWithTokenizer("llama_gqa");
        try
        {
            string a = SharedAssets.Golden("adapters/llama_gqa/a"), b = SharedAssets.Golden("adapters/llama_gqa/b");
            var (code, _, err) = CliRunner.Run("generate", "--model", model, "--adapter", "a=" + a, "--adapter", "b=" + b, "--prompt-ids", "1,2,3", "--json");
            Assert.NotEqual(0, code);
            Assert.Contains("--use-adapter", err);
        }
        finally { Directory.Delete(model, recursive: true); }
    }
}
