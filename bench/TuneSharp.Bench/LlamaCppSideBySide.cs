// `generate --llamacpp`: our engine and llama.cpp (LLamaSharp 0.30.0) side by side on the same GGUF files, written by
// our exporter from a random SmolLM2-135M-shaped model: batch-1 prefill and decode tokens/s at the same thread count and
// each engine's peak RSS. Every (type, engine) runs in its own `gguf-engine` process, alternating engines round by round
// so a noisy neighbour hurts both alike; each keeps its best round. Prints a table and writes a JSON file.
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using TuneSharp.Export.Gguf;
using TuneSharp.Models;
using TuneSharp.Models.Config;
using TuneSharp.Tensors;

namespace TuneSharp.Bench;

public static class LlamaCppSideBySide
{
    public static int Run(string[] args)
    {
        string shared = FindShared();
        string configPath = BenchUtil.Option(args, "--config") ?? Path.Combine(shared, "assets", "models", "configs", "smollm2-135m", "config.json");
        string tokenizer = BenchUtil.Option(args, "--tokenizer") ?? Path.Combine(shared, "assets", "tokenizers", "smollm2");
        var quants = (BenchUtil.Option(args, "--quant") ?? "q8_0,q4_0,q4_k_m").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        int threads = int.Parse(BenchUtil.Option(args, "--threads") ?? "2", CultureInfo.InvariantCulture);
        int rounds = int.Parse(BenchUtil.Option(args, "--rounds") ?? "2", CultureInfo.InvariantCulture);
        string prompt = BenchUtil.Option(args, "--prompt-tokens") ?? "128";
        string steps = BenchUtil.Option(args, "--decode-steps") ?? "32";
        string jsonOut = BenchUtil.Option(args, "--json-out") ?? "generate-llamacpp.json";
        string dir = BenchUtil.Option(args, "--gguf-dir") ?? Path.Combine(Path.GetTempPath(), "tunesharp-bench-gguf");
        Directory.CreateDirectory(dir);

        var config = ModelConfig.Load(configPath);
        var files = new List<(string Quant, string Path)>();
        CausalLM? model = null;
        try
        {
            foreach (var q in quants)
            {
                var type = GgufFileTypes.Parse(q);
                var path = Path.Combine(dir, $"{Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(configPath)))}-random-{type.Name()}.gguf");
                if (!File.Exists(path))
                {
                    model ??= CausalLM.CreateRandom(config, DType.F32, seed: 1);
                    var sw = Stopwatch.StartNew();
                    var written = GgufModelWriter.Write(model, tokenizer, type, path);
                    Console.Error.WriteLine($"wrote {path} ({string.Join(", ", written.GroupBy(w => w.Type).Select(g => $"{g.Count()}×{g.Key}"))}) in {sw.Elapsed.TotalSeconds:F1} s");
                }
                files.Add((type.Name(), path));
            }
        }
        finally { model?.Dispose(); }

        // (quant, engine) → best result over the rounds.
        var best = new Dictionary<(string, string), Result>();
        for (int r = 0; r < rounds; r++)
            foreach (var (quant, path) in files)
            {
                var engines = r % 2 == 0 ? new[] { "tunesharp", "llamacpp" } : ["llamacpp", "tunesharp"];
                foreach (var engine in engines)
                {
                    var res = RunWorker(engine, path, config.VocabSize, threads, prompt, steps);
                    Console.Error.WriteLine($"round {r + 1}: {quant} {engine}: prefill {res.PrefillTokS:F1} tok/s, decode {res.DecodeTokS:F1} tok/s, peak RSS {res.PeakRssMb:F0} MB");
                    best[(quant, engine)] = best.TryGetValue((quant, engine), out var b)
                        ? new Result(Math.Max(b.PrefillTokS, res.PrefillTokS), Math.Max(b.DecodeTokS, res.DecodeTokS), Math.Max(b.PeakRssMb, res.PeakRssMb), Math.Min(b.LoadS, res.LoadS))
                        : res;
                }
            }

        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"batch 1, {threads} threads, prompt {prompt} tokens, {steps} decode steps (median), best of {rounds} rounds; random {Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(configPath)))} exported by TuneSharp");
        sb.AppendLine("| GGUF | file MB | prefill tok/s ours | llama.cpp | ratio | decode tok/s ours | llama.cpp | ratio | peak RSS MB ours | llama.cpp |");
        sb.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        var rows = new List<Dictionary<string, object>>();
        foreach (var (quant, path) in files)
        {
            var o = best[(quant, "tunesharp")];
            var l = best[(quant, "llamacpp")];
            double mb = new FileInfo(path).Length / 1e6;
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {quant} | {mb:F0} | {o.PrefillTokS:F1} | {l.PrefillTokS:F1} | {o.PrefillTokS / l.PrefillTokS:F2} | {o.DecodeTokS:F1} | {l.DecodeTokS:F1} | {o.DecodeTokS / l.DecodeTokS:F2} | {o.PeakRssMb:F0} | {l.PeakRssMb:F0} |");
            rows.Add(new Dictionary<string, object>
            {
                ["gguf"] = quant, ["file_mb"] = Math.Round(mb, 1),
                ["tunesharp"] = o, ["llamacpp"] = l,
                ["prefill_ratio"] = Math.Round(o.PrefillTokS / l.PrefillTokS, 3), ["decode_ratio"] = Math.Round(o.DecodeTokS / l.DecodeTokS, 3),
            });
        }
        Console.WriteLine(sb.ToString());
        var doc = new Dictionary<string, object>
        {
            ["mode"] = "generate --llamacpp", ["config"] = configPath, ["threads"] = threads, ["batch"] = 1,
            ["prompt_tokens"] = int.Parse(prompt, CultureInfo.InvariantCulture), ["decode_steps"] = int.Parse(steps, CultureInfo.InvariantCulture),
            ["rounds"] = rounds, ["llamacpp"] = "LLamaSharp 0.30.0 + LLamaSharp.Backend.Cpu", ["processor_count"] = Environment.ProcessorCount,
            ["utc"] = DateTime.UtcNow.ToString("u", CultureInfo.InvariantCulture), ["results"] = rows,
        };
        File.WriteAllText(jsonOut, JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }) + "\n");
        Console.WriteLine($"wrote {jsonOut}");
        return 0;
    }

    public sealed record Result(double PrefillTokS, double DecodeTokS, double PeakRssMb, double LoadS);

    private static Result RunWorker(string engine, string gguf, int vocab, int threads, string prompt, string steps)
    {
        // Re-run this benchmark executable (apphost, or `dotnet TuneSharp.Bench.dll`) in `gguf-engine` mode.
        string self = Environment.ProcessPath!;
        var psi = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") psi.ArgumentList.Add(typeof(LlamaCppSideBySide).Assembly.Location);
        foreach (var a in new[] { "gguf-engine", "--engine", engine, "--gguf", gguf, "--vocab", vocab.ToString(CultureInfo.InvariantCulture),
                     "--threads", threads.ToString(CultureInfo.InvariantCulture), "--prompt-tokens", prompt, "--decode-steps", steps })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var errTask = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        string err = errTask.Result;
        if (p.ExitCode != 0) throw new InvalidOperationException($"gguf-engine {engine} {gguf} exited {p.ExitCode}: {err}");
        using var doc = JsonDocument.Parse(stdout.Trim().Split('\n')[^1]);
        var e = doc.RootElement;
        return new Result(e.GetProperty("prefill_tok_s").GetDouble(), e.GetProperty("decode_tok_s").GetDouble(), e.GetProperty("peak_rss_mb").GetDouble(), e.GetProperty("load_s").GetDouble());
    }

    private static string FindShared()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
        {
            var s = Path.Combine(d.FullName, "..", "shared");
            if (Directory.Exists(Path.Combine(s, "assets"))) return Path.GetFullPath(s);
        }
        return "/work/shared";
    }
}
