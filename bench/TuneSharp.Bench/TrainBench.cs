// `train` mode: LoRA SFT tokens/s (r 8, alpha 16, q/k/v/o/gate/up/down, batch 4 × seq 256, AdamW) vs a PyTorch
// reference (bench/python/train_bench.py) on identical shapes, plus QLoRA resident base-weight bytes vs BF16.
// --method dpo: LoRA DPO (sigmoid) steps instead — 2 pairs × (128 prompt + 128 answer tokens) per step, policy
// forward/backward plus the reference forward with adapters off — against the same DPO loop in plain torch.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using TuneSharp.Models;
using TuneSharp.Models.Config;
using TuneSharp.Nn.Lora;
using TuneSharp.Tensors;
using TuneSharp.Tensors.Threading;
using TuneSharp.Training;
using TuneSharp.Training.Sft;

namespace TuneSharp.Bench;

/// <summary>
/// For each config (default: ../shared/assets/models/configs/bench20m.json and smollm2-135m/config.json) a random
/// F32 model gets LoRA and runs <c>--warmup</c> + <c>--steps</c> optimizer steps through <see cref="SftTrainer"/>
/// (the real training path: collation, loss, backward, clipping, AdamW); tokens/s counts the timed steps. Peak RSS
/// is VmHWM, reset per config through /proc/self/clear_refs. PyTorch runs in a child /usr/bin/python3 with
/// torch.set_num_threads(N) and OPENBLAS_CORETYPE chosen by a 1024³ matmul probe among Zen/SkylakeX/Cooperlake/Haswell
/// (Debian's torch uses OpenBLAS, which misdetects this EPYC). Options: --steps N (3), --warmup N (1), --threads N (2),
/// --configs a.json,b.json, --python PATH, --coretype NAME, --no-python, --no-qlora, --json, --method sft|dpo.
/// </summary>
[BenchMode("train")]
public static class TrainBench
{
    private static readonly string[] Targets = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];
    private const int Batch = 4, Seq = 256;

    public static int Run(string[] args)
    {
        bool json = BenchUtil.HasFlag(args, "--json");
        int steps = int.Parse(BenchUtil.Option(args, "--steps") ?? "3", CultureInfo.InvariantCulture);
        int warmup = int.Parse(BenchUtil.Option(args, "--warmup") ?? "1", CultureInfo.InvariantCulture);
        int threads = int.Parse(BenchUtil.Option(args, "--threads") ?? "2", CultureInfo.InvariantCulture);
        string python = BenchUtil.Option(args, "--python") ?? "/usr/bin/python3";
        string method = (BenchUtil.Option(args, "--method") ?? "sft").ToLowerInvariant();
        if (method is not ("sft" or "dpo")) throw new ArgumentException($"--method {method}: sft or dpo");
        bool noPython = BenchUtil.HasFlag(args, "--no-python");
        var configs = (BenchUtil.Option(args, "--configs") ?? string.Join(",", DefaultConfigs())).Split(',', StringSplitOptions.RemoveEmptyEntries);
        KernelPool.Threads = threads;
        string script = FindScript();

        string? core = BenchUtil.Option(args, "--coretype") ?? Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE");
        if (!noPython && core == null) core = PickCore(python, script, threads);

        foreach (var cfgPath in configs)
        {
            var config = ModelConfig.Load(cfgPath);
            string name = Path.GetFileName(cfgPath) == "config.json" ? Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(cfgPath)))! : Path.GetFileNameWithoutExtension(cfgPath);
            var ours = MeasureOurs(config, steps, warmup, method);
            Dictionary<string, JsonElement>? torch = noPython ? null : RunPython(python, script, cfgPath, steps, warmup, threads, core, method);
            double tTok = torch != null ? torch["tokens_per_s"].GetDouble() : double.NaN;
            double tRss = torch != null ? torch["peak_rss_mb"].GetDouble() : double.NaN;
            double ratio = ours.TokensPerS / tTok;
            if (json)
                Console.WriteLine(BenchUtil.JsonLine(("mode", "train"), ("method", method), ("model", name), ("batch", Batch), ("seq", Seq), ("threads", threads),
                    ("tunesharp_tokens_per_s", ours.TokensPerS), ("torch_tokens_per_s", tTok), ("ratio", ratio),
                    ("tunesharp_peak_rss_mb", ours.PeakRssMb), ("torch_peak_rss_mb", tRss), ("openblas_coretype", core), ("trainable_params", ours.Trainable)));
            else
                Console.WriteLine($"train{(method == "sft" ? "" : "-" + method)} {name,-14} B={Batch} T={Seq} {threads} threads | TuneSharp {ours.TokensPerS,8:F0} tok/s (peak RSS {ours.PeakRssMb,6:F0} MB) | "
                    + $"PyTorch {tTok,8:F0} tok/s (peak RSS {tRss,6:F0} MB, OPENBLAS_CORETYPE={core}) | ratio {ratio:F2}× (target ≥ 2×) | {ours.Trainable:N0} LoRA params");
        }

        if (!BenchUtil.HasFlag(args, "--no-qlora"))
        {
            var cfgPath = configs[^1];
            var config = ModelConfig.Load(cfgPath);
            using var model = CausalLM.CreateRandom(config, DType.BF16, seed: 0);
            long bf16 = model.Linears.Sum(l => (long)l.InFeatures * l.OutFeatures * 2);
            long nf4 = LoraModel.QuantizeBaseWeights(model.Linears, doubleQuant: true);
            long nf4Single;
            using (var m2 = CausalLM.CreateRandom(config, DType.BF16, seed: 0)) nf4Single = LoraModel.QuantizeBaseWeights(m2.Linears, doubleQuant: false);
            if (json)
                Console.WriteLine(BenchUtil.JsonLine(("mode", "qlora_bytes"), ("model", cfgPath), ("bf16_bytes", bf16), ("nf4_double_quant_bytes", nf4), ("nf4_bytes", nf4Single),
                    ("ratio", nf4 / (double)bf16)));
            else
                Console.WriteLine($"QLoRA base linear weights ({Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(cfgPath)))}): BF16 {bf16 / 1048576.0:F1} MiB → NF4 {nf4Single / 1048576.0:F1} MiB "
                    + $"({nf4Single / (double)bf16:F3}×), with double quant {nf4 / 1048576.0:F1} MiB ({nf4 / (double)bf16:F3}×; target ≤ 0.3×)");
        }
        return 0;
    }

    private static IEnumerable<string> DefaultConfigs()
    {
        var root = FindUp("shared/assets/models/configs") ?? throw new DirectoryNotFoundException("../shared/assets/models/configs not found; pass --configs");
        yield return Path.Combine(root, "bench20m.json");
        yield return Path.Combine(root, "smollm2-135m", "config.json");
    }

    private static string? FindUp(string relative)
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
        {
            foreach (var candidate in new[] { Path.Combine(d.FullName, relative), Path.Combine(d.FullName, "..", relative) })
                if (Directory.Exists(candidate) || File.Exists(candidate)) return Path.GetFullPath(candidate);
        }
        for (var d = new DirectoryInfo(Environment.CurrentDirectory); d != null; d = d.Parent)
        {
            foreach (var candidate in new[] { Path.Combine(d.FullName, relative), Path.Combine(d.FullName, "..", relative) })
                if (Directory.Exists(candidate) || File.Exists(candidate)) return Path.GetFullPath(candidate);
        }
        return null;
    }

    private static string FindScript() => FindUp("bench/python/train_bench.py") ?? "bench/python/train_bench.py";

    private sealed record Ours(double TokensPerS, double PeakRssMb, long Trainable);

    private static Ours MeasureOurs(ModelConfig config, int steps, int warmup, string method)
    {
        ResetPeakRss();
        using var model = CausalLM.CreateRandom(config, DType.F32, seed: 0);
        var lora = LoraModel.Inject(model.Linears.Select(l => (l.Name, l)), new LoraConfig { R = 8, LoraAlpha = 16, TargetModules = Targets }, seed: 0);
        var rng = new Random(1);
        var data = Enumerable.Range(0, Batch * (warmup + steps)).Select(_ => TokenizedExample.FromIds(Enumerable.Range(0, Seq).Select(_ => rng.Next(config.VocabSize)).ToArray())).ToList();
        var dir = Directory.CreateTempSubdirectory("tunesharp-bench-train-").FullName;
        try
        {
            var options = new TrainingOptions
            {
                OutputDir = dir, PerDeviceTrainBatchSize = Batch, MaxSteps = warmup + steps, LearningRate = 1e-4, LrSchedulerType = SchedulerType.Constant,
                MaxSeqLength = Seq, Shuffle = false, LoggingSteps = 1, SaveStrategy = IntervalStrategy.No, ReportTo = [], MaxGradNorm = 1.0, Optim = OptimizerType.AdamwTorch,
            };
            SftTrainer trainer;
            if (method == "dpo")
            {
                // Batch rows of Seq tokens per step as for SFT: Batch/2 pairs, each prompt + chosen and prompt + rejected.
                int half = Seq / 2;
                int[] Ids(int n) => Enumerable.Range(0, n).Select(_ => rng.Next(config.VocabSize)).ToArray();
                var pairs = Enumerable.Range(0, Batch / 2 * (warmup + steps)).Select(_ => new TuneSharp.Training.Preference.PreferencePair(Ids(half), Ids(half), Ids(half))).ToList();
                options.Method = "dpo";
                options.PerDeviceTrainBatchSize = Batch / 2;
                options.MaxPromptLength = half;
                trainer = new TuneSharp.Training.Preference.PreferenceTrainer(model, null, options, pairs, null, lora).Trainer;
            }
            else trainer = new SftTrainer(model, null, options, data, null, lora);
            trainer.Progress = new TuneSharp.Training.Tracking.ConsoleProgress(TextWriter.Null);
            var stamps = new List<double>();
            var clock = Stopwatch.StartNew();
            trainer.Logged += e => { if (e.ContainsKey("loss")) stamps.Add(clock.Elapsed.TotalSeconds); };
            trainer.Train();
            double timed = stamps[^1] - stamps[warmup - 1 < 0 ? 0 : warmup - 1];
            if (warmup == 0) timed = stamps[^1];
            return new Ours(Batch * Seq * steps / timed, PeakRssMb(), lora.TrainableParameterCount);
        }
        finally { try { Directory.Delete(dir, true); } catch (IOException) { } }
    }

    private static void ResetPeakRss()
    {
        try { File.WriteAllText("/proc/self/clear_refs", "5"); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static double PeakRssMb()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return double.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
        }
        catch (IOException) { }
        return Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0;
    }

    private static string PickCore(string python, string script, int threads)
    {
        string best = "SkylakeX";
        double bestG = 0;
        foreach (var core in new[] { "Zen", "SkylakeX", "Cooperlake", "Haswell" })
        {
            var r = Python(python, script, ["--probe", "--threads", threads.ToString(CultureInfo.InvariantCulture)], core, threads);
            if (r == null) continue;
            double g = r["gflops"].GetDouble();
            Console.Error.WriteLine($"# OPENBLAS_CORETYPE={core}: torch 1024³ matmul {g:F1} GFLOP/s");
            if (g > bestG) { bestG = g; best = core; }
        }
        return best;
    }

    private static Dictionary<string, JsonElement>? RunPython(string python, string script, string config, int steps, int warmup, int threads, string? core, string method) =>
        Python(python, script, ["--config", config, "--batch", Batch.ToString(CultureInfo.InvariantCulture), "--seq", Seq.ToString(CultureInfo.InvariantCulture),
            "--steps", steps.ToString(CultureInfo.InvariantCulture), "--warmup", warmup.ToString(CultureInfo.InvariantCulture),
            "--threads", threads.ToString(CultureInfo.InvariantCulture), "--r", "8", "--alpha", "16", "--targets", string.Join(",", Targets), "--method", method], core, threads);

    private static Dictionary<string, JsonElement>? Python(string python, string script, string[] args, string? core, int threads)
    {
        var psi = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(script);
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (core != null) psi.Environment["OPENBLAS_CORETYPE"] = core;
        psi.Environment["OPENBLAS_NUM_THREADS"] = threads.ToString(CultureInfo.InvariantCulture);
        psi.Environment["OMP_NUM_THREADS"] = threads.ToString(CultureInfo.InvariantCulture);
        try
        {
            using var p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEndAsync();
            string output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            var line = output.Split('\n').LastOrDefault(l => l.StartsWith('{'));
            if (p.ExitCode != 0 || line == null)
            {
                Console.Error.WriteLine($"# python failed (exit {p.ExitCode}): {err.Result.Trim()}");
                return null;
            }
            return JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(line);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Console.Error.WriteLine($"# cannot run {python}: {e.Message}");
            return null;
        }
    }
}
