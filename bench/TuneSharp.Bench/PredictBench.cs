// `predict` mode: batched prediction (continuous batching through BatchPredictor) at batch 1 and batch 16 over the same
// rows in one run: generated tokens/s of each and their ratio. Default model: the real TinyStories-656K; --config gives
// a random-initialised model (e.g. SmolLM2-135M's config, BF16) with --tokenizer.
using System.Text.Json.Nodes;
using TuneSharp.Evaluation.Prediction;
using TuneSharp.Inference;
using TuneSharp.Models;
using TuneSharp.Models.Config;
using TuneSharp.Tensors;
using TuneSharp.Tokenizers;

namespace TuneSharp.Bench;

[BenchMode("predict")]
public static class PredictBench
{
    public static int Run(string[] args)
    {
        bool json = BenchUtil.HasFlag(args, "--json");
        int rows = int.Parse(BenchUtil.Option(args, "--rows") ?? "32");
        int maxNew = int.Parse(BenchUtil.Option(args, "--max-new-tokens") ?? "32");
        var batches = (BenchUtil.Option(args, "--batches") ?? "1,16").Split(',').Select(int.Parse).ToArray();
        Generator gen;
        string name;
        if (BenchUtil.Option(args, "--config") is { } configPath)
        {
            var config = ModelConfig.Load(configPath);
            var tokenizer = BenchUtil.Option(args, "--tokenizer") ?? throw new ArgumentException("--config needs --tokenizer tokenizer.json");
            gen = new Generator(CausalLM.CreateRandom(config, DType.BF16, seed: 1), Tokenizer.FromFile(tokenizer));
            name = $"random {config}";
        }
        else
        {
            var dir = BenchUtil.Option(args, "--model") ?? Path.Combine(FindShared(), "assets", "models", "tinystories-656k");
            gen = Generator.FromPretrained(dir);
            name = Path.GetFileName(dir.TrimEnd('/'));
        }
        using var _ = gen.Model;
        string[] starts = ["Once upon a time", "Tom had a red ball. One day", "The cat sat", "Lily wanted to go to the park, but", "There was a big tree near"];
        var builder = new PromptBuilder(gen.Tokenizer, gen.ChatTemplate);
        var prompts = Enumerable.Range(0, rows)
            .Select(i => builder.Build(new JsonObject { ["prompt"] = starts[i % starts.Length] + (i >= starts.Length ? $" {i}" : "") }, i, $"row {i}"))
            .ToList();
        // Sampling with a fixed seed: the same tokens at every batch size (row i uses seed + i), and fewer early EOS than greedy loops.
        var g = new GenerationOptions { MaxNewTokens = maxNew, Temperature = 0.8f, Seed = 1, Adapter = null };
        Console.Error.WriteLine($"predict bench: {name}, {rows} rows × ≤{maxNew} new tokens, batches {string.Join(",", batches)}");
        new BatchPredictor(gen, builder, new PredictOptions { BatchSize = batches.Max(), Generation = g with { MaxNewTokens = 4 } })
            .PredictAllAsync(prompts.Take(Math.Min(rows, 4)).ToList()).GetAwaiter().GetResult(); // warm-up (JIT, pools)
        var rates = new Dictionary<int, double>();
        foreach (int b in batches)
        {
            var s = new BatchPredictor(gen, builder, new PredictOptions { BatchSize = b, Generation = g })
                .PredictAsync(prompts, _ => { }).GetAwaiter().GetResult();
            rates[b] = s.TokensPerSecond;
            if (json) Console.WriteLine(BenchUtil.JsonLine(("batch", b), ("rows", s.Generated), ("tokens", s.GeneratedTokens), ("seconds", Math.Round(s.Elapsed.TotalSeconds, 2)), ("tok_s", Math.Round(s.TokensPerSecond, 1))));
            else Console.WriteLine($"batch {b,2}: {s.Generated} rows, {s.GeneratedTokens} tokens in {s.Elapsed.TotalSeconds:F2} s → {s.TokensPerSecond:F1} tok/s");
        }
        if (rates.Count >= 2)
        {
            var (lo, hi) = (batches.Min(), batches.Max());
            if (json) Console.WriteLine(BenchUtil.JsonLine(("metric", $"predict_ratio_{hi}_vs_{lo}"), ("value", Math.Round(rates[hi] / rates[lo], 2))));
            else Console.WriteLine($"tokens/s at batch {hi} / batch {lo}: {rates[hi] / rates[lo]:F2}×");
        }
        return 0;
    }

    private static string FindShared()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
        {
            var s = Path.Combine(d.FullName, "..", "shared");
            if (Directory.Exists(Path.Combine(s, "assets"))) return Path.GetFullPath(s);
            if (Directory.Exists(Path.Combine(d.FullName, "shared", "assets"))) return Path.Combine(d.FullName, "shared");
        }
        return "/work/shared";
    }
}
