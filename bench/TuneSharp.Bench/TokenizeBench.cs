// Bench mode `tokenize`: single-thread encode throughput (MB/s) on ≥10 MB of mixed Korean/English text for llama3, gemma3,
// qwen3, side by side with the transformers.js reference run by node on the same text; prints the ratio and checks token counts.
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using TuneSharp.Tokenizers;

namespace TuneSharp.Bench;

[BenchMode("tokenize")]
public static class TokenizeBench
{
    public static int Run(string[] args)
    {
        double mb = 10;
        var names = new[] { "llama3", "gemma3", "qwen3" };
        bool useNode = true;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--mb": mb = double.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--tokenizers": names = args[++i].Split(','); break;
                case "--no-node": useNode = false; break;
                default: Console.Error.WriteLine($"unknown option {args[i]} (use --mb N, --tokenizers a,b, --no-node)"); return 2;
            }
        }
        var repo = FindRepoRoot();
        var assets = FindAssets(repo);
        if (assets == null) { Console.Error.WriteLine("shared/assets not found (set TUNESHARP_SHARED); cannot run the tokenize bench"); return 1; }
        var corpusPath = Path.Combine(repo, "tests", "golden", "tokenizers", "corpus.jsonl");
        var lines = BuildText(corpusPath, (long)(mb * 1e6));
        var text = string.Join('\n', lines);
        long bytes = Encoding.UTF8.GetByteCount(text);
        var textFile = Path.Combine(Path.GetTempPath(), $"tunesharp-tokbench-{Environment.ProcessId}.txt");
        File.WriteAllText(textFile, text, new UTF8Encoding(false));
        try
        {
            Console.WriteLine($"tokenize bench: {bytes / 1e6:F1} MB, {lines.Count} lines of mixed Korean/English (from {Path.GetFileName(corpusPath)}), one thread");
            string? nodeProblem = useNode ? PrepareNode(repo) : "disabled with --no-node";
            if (nodeProblem != null) Console.WriteLine($"JS reference unavailable: {nodeProblem}; printing TuneSharp only");
            Console.WriteLine("MB/s = wall-clock throughput; cpu = MB per CPU-second of the process (robust on a shared machine); ratio = ours / JS on both");
            Console.WriteLine($"{"tokenizer",-10} {"load ms",8} {"MB/s",7} {"cpu",7} {"tokens",10} | {"js load",8} {"MB/s",7} {"cpu",7} {"js tokens",10} | {"ratio",6} {"cpu",6}");
            foreach (var name in names)
            {
                var dir = Path.Combine(assets, "tokenizers", name);
                var sw = Stopwatch.StartNew();
                var tok = Tokenizer.FromPretrained(dir);
                double loadMs = sw.Elapsed.TotalMilliseconds;
                for (int i = 0; i < (lines.Count + 19) / 20; i++) tok.Encode(lines[i], addSpecialTokens: false);
                long tokens = 0;
                var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
                sw.Restart();
                foreach (var line in lines) tokens += tok.Encode(line, addSpecialTokens: false).Length;
                double sec = sw.Elapsed.TotalSeconds;
                double cpuSec = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
                double ours = bytes / 1e6 / sec, oursCpu = bytes / 1e6 / cpuSec;
                string js = "", ratio = "";
                if (nodeProblem == null)
                {
                    var r = RunNode(repo, dir, textFile);
                    if (r is { } j)
                    {
                        js = $"{j.LoadMs,8:F0} {j.MbPerS,7:F2} {j.CpuMbPerS,7:F2} {j.Tokens,10}";
                        ratio = $"{ours / j.MbPerS,5:F1}x {oursCpu / j.CpuMbPerS,5:F1}x";
                        if (j.Tokens != tokens) ratio += $"  (token counts differ: {tokens} vs {j.Tokens})";
                    }
                    else js = "node run failed";
                }
                Console.WriteLine($"{name,-10} {loadMs,8:F0} {ours,7:F2} {oursCpu,7:F2} {tokens,10} | {js} | {ratio}");
            }
        }
        finally { File.Delete(textFile); }
        return 0;
    }

    /// <summary>Deterministic mix of corpus cases (seeded LCG) until the text reaches <paramref name="targetBytes"/>.</summary>
    private static List<string> BuildText(string corpusPath, long targetBytes)
    {
        var cases = new List<string>();
        foreach (var l in File.ReadLines(corpusPath))
        {
            if (string.IsNullOrWhiteSpace(l)) continue;
            using var doc = JsonDocument.Parse(l);
            var t = doc.RootElement.GetProperty("text").GetString()!.Replace('\n', ' ').Replace('\r', ' ');
            if (t.Trim().Length > 0) cases.Add(t);
        }
        var lines = new List<string>();
        long total = 0;
        ulong state = 0x9E3779B97F4A7C15;
        var sb = new StringBuilder();
        while (total < targetBytes)
        {
            sb.Clear();
            int parts = 1 + (int)(Next(ref state) % 4);
            for (int k = 0; k < parts; k++)
            {
                if (k > 0) sb.Append(' ');
                sb.Append(cases[(int)(Next(ref state) % (ulong)cases.Count)]);
            }
            var line = sb.ToString();
            lines.Add(line);
            total += Encoding.UTF8.GetByteCount(line) + 1;
        }
        return lines;
    }

    private static ulong Next(ref ulong s)
    {
        s = s * 6364136223846793005UL + 1442695040888963407UL;
        return s >> 33;
    }

    private static string? PrepareNode(string repo)
    {
        var dir = Path.Combine(repo, "bench", "node");
        if (!File.Exists(Path.Combine(dir, "tokenize_bench.mjs"))) return "bench/node/tokenize_bench.mjs is missing";
        if (Exec("node", "--version", dir, 30) is not (0, _)) return "node is not installed";
        if (!Directory.Exists(Path.Combine(dir, "node_modules", "@lenml", "tokenizers")))
        {
            var args = File.Exists(Path.Combine(dir, "package-lock.json")) ? "ci --no-audit --no-fund" : "install --no-audit --no-fund";
            var (rc, output) = Exec("npm", args, dir, 300);
            if (rc != 0) return $"npm {args.Split(' ')[0]} failed: {output.Trim().Split('\n').LastOrDefault()}";
        }
        return null;
    }

    private sealed record NodeResult(double LoadMs, double MbPerS, double CpuMbPerS, long Tokens);

    private static NodeResult? RunNode(string repo, string tokenizerDir, string textFile)
    {
        var (rc, output) = Exec("node", $"--max-old-space-size=8192 tokenize_bench.mjs \"{tokenizerDir}\" \"{textFile}\"", Path.Combine(repo, "bench", "node"), 900);
        if (rc != 0) { Console.Error.WriteLine($"node failed ({rc}): {output}"); return null; }
        var line = output.Split('\n').Last(l => l.TrimStart().StartsWith('{'));
        using var doc = JsonDocument.Parse(line);
        var r = doc.RootElement;
        return new NodeResult(r.GetProperty("load_ms").GetDouble(), r.GetProperty("mb_per_s").GetDouble(), r.GetProperty("cpu_mb_per_s").GetDouble(), r.GetProperty("tokens").GetInt64());
    }

    private static (int Rc, string Output) Exec(string file, string args, string cwd, int timeoutSec)
    {
        try
        {
            var psi = new ProcessStartInfo(file, args) { WorkingDirectory = cwd, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(timeoutSec * 1000)) { p.Kill(true); return (-1, "timed out"); }
            return (p.ExitCode, stdout.Result + stderr.Result);
        }
        catch (System.ComponentModel.Win32Exception e) { return (-1, e.Message); }
    }

    private static string FindRepoRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var d = new DirectoryInfo(start); d != null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "TuneSharp.slnx"))) return d.FullName;
        }
        return Directory.GetCurrentDirectory();
    }

    private static string? FindAssets(string repo)
    {
        var env = Environment.GetEnvironmentVariable("TUNESHARP_SHARED");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(Path.Combine(env, "assets"))) return Path.Combine(env, "assets");
        for (var d = new DirectoryInfo(repo); d != null; d = d.Parent)
            if (Directory.Exists(Path.Combine(d.FullName, "shared", "assets"))) return Path.Combine(d.FullName, "shared", "assets");
        return null;
    }
}
