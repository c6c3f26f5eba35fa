// `generate` mode: KV-cache prefill and decode throughput of a random SmolLM2-135M-shaped model with BF16 weights,
// next to the memory-bandwidth limit measured in the same run (decode is GEMV-bound: every step streams all weights).
using System.Diagnostics;
using TuneSharp.Models;
using TuneSharp.Models.Config;
using TuneSharp.Tensors;

namespace TuneSharp.Bench;

[BenchMode("generate")]
public static class GenerateBench
{
    public static int Run(string[] args)
    {
        // --llamacpp: ours and llama.cpp side by side on the same GGUF files (see LlamaCppSideBySide).
        if (BenchUtil.HasFlag(args, "--llamacpp")) return LlamaCppSideBySide.Run(args);
        bool json = BenchUtil.HasFlag(args, "--json");
        string configPath = BenchUtil.Option(args, "--config")
            ?? Path.Combine(FindShared(), "assets", "models", "configs", "smollm2-135m", "config.json");
        int prompt = int.Parse(BenchUtil.Option(args, "--prompt-tokens") ?? "128");
        int steps = int.Parse(BenchUtil.Option(args, "--decode-steps") ?? "32");
        if (BenchUtil.Option(args, "--threads") is { } th) TuneSharp.Tensors.Threading.KernelPool.Threads = int.Parse(th);
        var config = ModelConfig.Load(configPath);
        var sw = Stopwatch.StartNew();
        using var model = CausalLM.CreateRandom(config, DType.BF16, seed: 1);
        Console.Error.WriteLine($"random model {config} built in {sw.Elapsed.TotalSeconds:F1} s");

        // Bytes one decode step must stream: every 2-D weight once (the tied embedding is read as the LM head;
        // the embedding lookup itself touches one row).
        long weightBytes = model.Linears.Sum(l => l.Weight.Value.ByteLength) + model.LmHead.Weight.Value.ByteLength;
        double copyBw = CopyBandwidth(threads: 2);
        double limitTokS = copyBw / weightBytes;
        if (!json)
        {
            Console.WriteLine($"weights streamed per decode step: {weightBytes / 1e6:F1} MB (BF16)");
            Console.WriteLine($"memcpy bandwidth (2 threads, 256 MB buffer, bytes copied/s): {copyBw / 1e9:F2} GB/s → decode limit {limitTokS:F1} steps/s");
        }
        var batches = (BenchUtil.Option(args, "--batches") ?? "1,8").Split(',').Select(int.Parse).ToArray();
        foreach (int batch in batches)
        {
            var rng = new Random(batch);
            var ids = new int[batch * prompt];
            for (int i = 0; i < ids.Length; i++) ids[i] = rng.Next(config.VocabSize);
            var logits = new float[batch * config.VocabSize];
            var cache = model.CreateCache(batch, prompt + steps + 1);
            // Warm-up (JIT, pools) on a short prefill.
            model.Forward(model.CreateCache(batch, 8), ids.AsSpan(0, batch * 4).ToArray(), default, logits);

            sw.Restart();
            model.Forward(cache, ids, default, logits);
            double prefillS = sw.Elapsed.TotalSeconds;

            var step = new int[batch];
            var times = new List<double>();
            for (int s = 0; s < steps; s++)
            {
                for (int b = 0; b < batch; b++) step[b] = rng.Next(config.VocabSize);
                sw.Restart();
                model.Forward(cache, step, default, logits);
                times.Add(sw.Elapsed.TotalSeconds);
            }
            times.Sort();
            double median = times[times.Count / 2];
            double prefillTokS = batch * prompt / prefillS;
            double decodeStepsS = 1 / median;
            double pct = 100 * decodeStepsS / limitTokS;
            if (json)
                Console.WriteLine(BenchUtil.JsonLine(("mode", "generate"), ("batch", batch), ("prompt_tokens", prompt), ("prefill_tok_s", prefillTokS),
                    ("decode_steps_s", decodeStepsS), ("decode_tok_s", decodeStepsS * batch), ("weight_bytes", weightBytes),
                    ("copy_gb_s", copyBw / 1e9), ("limit_steps_s", limitTokS), ("pct_of_limit", pct)));
            else
                Console.WriteLine($"batch {batch}: prefill {prefillTokS,8:F1} tok/s ({prompt} tokens/row)   decode {decodeStepsS * batch,7:F1} tok/s "
                    + $"({decodeStepsS:F1} steps/s, median of {steps}) = {pct:F0}% of the bandwidth limit {limitTokS:F1} steps/s");
        }
        return 0;
    }

    /// <summary>Bytes copied per second for a 256 MB buffer split across <paramref name="threads"/> threads (best of 5).</summary>
    public static double CopyBandwidth(int threads)
    {
        const int size = 256 << 20;
        var src = new byte[size];
        var dst = new byte[size];
        new Random(0).NextBytes(src);
        src.AsSpan().CopyTo(dst); // touch every page
        double best = double.MaxValue;
        for (int rep = 0; rep < 5; rep++)
        {
            var sw = Stopwatch.StartNew();
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
            {
                int chunk = size / threads;
                src.AsSpan(t * chunk, chunk).CopyTo(dst.AsSpan(t * chunk, chunk));
            });
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        return size / best;
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
