// `gemm` mode: our GEMM (X·Wᵀ with F32 and BF16 weights, dY·W, dYᵀ·X) vs OpenBLAS cblas_sgemm on LLM shapes, same run.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using TuneSharp.Tensors;
using TuneSharp.Tensors.Kernels;
using TuneSharp.Tensors.Threading;

namespace TuneSharp.Bench;

/// <summary>
/// OpenBLAS 0.3.21 misdetects this EPYC and falls back to a slow generic kernel unless OPENBLAS_CORETYPE is set,
/// and it reads that variable from the native environment at load time (Environment.SetEnvironmentVariable
/// cannot reach it). So unless the variable is already set, each measurement runs in a child process of this
/// same binary (<c>gemm --child m,n,k</c>) with OPENBLAS_CORETYPE / OPENBLAS_NUM_THREADS in its environment. Each
/// shape runs once per candidate core type; each child times ours and OpenBLAS interleaved (A, B, A, B, …; best of
/// each) so that noise from other processes hits both alike, and each side keeps its best over the children (so
/// both get the same number of tries, and the baseline is OpenBLAS's best core type for that very shape).
/// Options: --json, --threads N (default 2), --shapes 0,2,MxNxK, --cores Zen,Haswell, --quick (X·Wᵀ only).
/// </summary>
[BenchMode("gemm")]
public static class GemmBench
{
    private static readonly (int M, int N, int K)[] Shapes =
    [
        (2048, 2048, 2048),
        (2048, 1536, 576), (2048, 576, 1536), (2048, 5632, 2048), (2048, 2048, 5632),
    ];

    private static readonly string[] CandidateCores = ["Zen", "SkylakeX", "Cooperlake", "Haswell"];

    private const string ChildMarker = "TUNESHARP_GEMM_BENCH_CHILD";

    public static int Run(string[] args)
    {
        int threads = int.Parse(BenchUtil.Option(args, "--threads") ?? "2", CultureInfo.InvariantCulture);
        bool quick = BenchUtil.HasFlag(args, "--quick");
        string forms = quick ? "xwt,xwt_bf16" : "xwt,xwt_bf16,dyw,dytx";
        if (BenchUtil.Option(args, "--child") is { } childShape)
        {
            var p = childShape.Split(',');
            var r = Measure(int.Parse(p[0]), int.Parse(p[1]), int.Parse(p[2]), BenchUtil.Option(args, "--forms") ?? forms, threads, baseline: true);
            Console.WriteLine(BenchUtil.JsonLine([("core", OpenBlas.Available ? OpenBlas.Core : null), .. r.Select(kv => (kv.Key, (object?)kv.Value))]));
            return 0;
        }

        bool json = BenchUtil.HasFlag(args, "--json");
        var shapes = SelectShapes(BenchUtil.Option(args, "--shapes"));

        // Where the baseline runs: in-process when the environment already pins the core type (or OpenBLAS is
        // missing: ours only), else in one child process per candidate core type and shape.
        string? envCore = Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE");
        string[] cores = [];
        string note;
        if (!OpenBlas.Available)
            note = $"OpenBLAS ({OpenBlas.LibraryName}) not found: printing ours only (baseline and ratio columns empty)";
        else if (envCore is not null)
            note = $"OpenBLAS in-process, OPENBLAS_CORETYPE={envCore} (core {OpenBlas.Core}), {threads} threads";
        else
        {
            cores = BenchUtil.Option(args, "--cores")?.Split(',') ?? CandidateCores;
            note = $"OpenBLAS via child processes, OPENBLAS_NUM_THREADS={threads}, every shape measured once per OPENBLAS_CORETYPE " +
                $"({string.Join(", ", cores)}); each side's best over all of them is kept, so the baseline is OpenBLAS's best config for that shape";
        }

        KernelPool.Threads = threads;
        // The FMA peak is taken as the best of three measurements spread over the run: a single one is easily
        // caught by a moment when the other vCPU is busy.
        double peak = PeakBench.Measure(threads, Gemm.UseVector512, iterations: 16_000_000);
        if (json)
        {
            // stdout carries exactly one object per shape; the run's description goes to stderr.
            Console.Error.WriteLine($"# {note}; {threads} threads");
        }
        else
        {
            Console.WriteLine($"# {note}");
            Console.WriteLine($"# ours: {threads} threads, Vector512={Gemm.UseVector512}; best of ≥6 interleaved reps (≥2 s) after warm-up; GFLOP/s = 2mnk/t");
            Console.WriteLine($"{"shape (m×n×k)",-16} | {"X·Wᵀ f32",8} {"OpenBLAS",8} {"ratio",5} {"%peak",5} {"bf16",6} {"bf/f32",6} | {"dY·W",6} {"OpenBLAS",8} {"ratio",5} | {"dYᵀ·X",6} {"OpenBLAS",8} {"ratio",5} | best core");
        }

        var rows = new List<(string Shape, Dictionary<string, double> R, string? Core)>();
        for (int si = 0; si < shapes.Count; si++)
        {
            var (m, n, k) = shapes[si];
            string? bestCore = envCore;
            Dictionary<string, double>? r = null;
            foreach (var core in cores)
            {
                var c = Child(core, threads, m, n, k, forms);
                if (c is null) continue;
                if (r is null) { r = c; bestCore = core; continue; }
                if (c.GetValueOrDefault("baseline_xwt") > r.GetValueOrDefault("baseline_xwt")) bestCore = core;
                foreach (var (key, value) in c)
                    if (!r.TryGetValue(key, out double old) || value > old) r[key] = value;
            }
            r ??= Measure(m, n, k, forms, threads, baseline: OpenBlas.Available && envCore is not null);
            rows.Add(($"{m}x{n}x{k}", r, bestCore));
            if (si == shapes.Count / 2) peak = Math.Max(peak, PeakBench.Measure(threads, Gemm.UseVector512, iterations: 16_000_000));
        }
        peak = Math.Max(peak, PeakBench.Measure(threads, Gemm.UseVector512, iterations: 16_000_000));

        foreach (var (shape, r, core) in rows)
        {
            double G(string key) => r.GetValueOrDefault(key, double.NaN);
            double f32 = G("ours_xwt"), bf16 = G("ours_xwt_bf16");
            if (json)
            {
                Console.WriteLine(BenchUtil.JsonLine(
                    ("shape", shape), ("ours_gflops", f32), ("baseline_gflops", G("baseline_xwt")), ("ratio", f32 / G("baseline_xwt")),
                    ("ours_bf16_gflops", bf16), ("bf16_vs_f32", bf16 / f32), ("pct_peak", 100 * f32 / peak), ("peak_gflops", peak),
                    ("ours_dyw_gflops", G("ours_dyw")), ("baseline_dyw_gflops", G("baseline_dyw")), ("ratio_dyw", G("ours_dyw") / G("baseline_dyw")),
                    ("ours_dytx_gflops", G("ours_dytx")), ("baseline_dytx_gflops", G("baseline_dytx")), ("ratio_dytx", G("ours_dytx") / G("baseline_dytx")),
                    ("baseline_core", core)));
            }
            else
            {
                Console.WriteLine($"{shape,-16} | {f32,8:F1} {G("baseline_xwt"),8:F1} {f32 / G("baseline_xwt"),5:F2} {100 * f32 / peak,4:F0}% {bf16,6:F1} {bf16 / f32,6:F2} | " +
                    $"{G("ours_dyw"),6:F1} {G("baseline_dyw"),8:F1} {G("ours_dyw") / G("baseline_dyw"),5:F2} | " +
                    $"{G("ours_dytx"),6:F1} {G("baseline_dytx"),8:F1} {G("ours_dytx") / G("baseline_dytx"),5:F2} | {core}");
            }
        }
        if (!json) Console.WriteLine($"# FMA peak ({threads} threads, best of 3 spread over the run): {peak:F1} GFLOP/s");
        return 0;
    }

    private static List<(int M, int N, int K)> SelectShapes(string? filter)
    {
        if (filter is null) return [.. Shapes];
        var picked = new List<(int, int, int)>();
        foreach (var item in filter.Split(','))
        {
            if (int.TryParse(item, out int index)) picked.Add(Shapes[index]);
            else if (item.Split('x') is [var a, var b, var c]) picked.Add((int.Parse(a), int.Parse(b), int.Parse(c)));
            else throw new ArgumentException($"--shapes: '{item}' is neither an index nor MxNxK");
        }
        return picked;
    }

    /// <summary>
    /// Times the requested forms (xwt, xwt_bf16, dyw, dytx) for ours and, when <paramref name="baseline"/>,
    /// OpenBLAS's equivalent of each F32 form, all interleaved; returns "ours_form" / "baseline_form" GFLOP/s.
    /// </summary>
    private static Dictionary<string, double> Measure(int m, int n, int k, string forms, int threads, bool baseline)
    {
        KernelPool.Threads = threads;
        if (baseline) OpenBlas.SetNumThreads(threads);
        var x = BenchUtil.RandomArray(m * k, 1);
        var w = BenchUtil.RandomArray(n * k, 2);
        var dy = BenchUtil.RandomArray(m * n, 3);
        var wbf = new BFloat16[w.Length];
        for (int i = 0; i < w.Length; i++) wbf[i] = (BFloat16)w[i];
        var y = new float[m * n];
        var dx = new float[m * k];
        var dw = new float[n * k];
        var names = new List<string>();
        var actions = new List<Action>();
        void Add(string name, Action a) { names.Add(name); actions.Add(a); }
        foreach (var form in forms.Split(','))
        {
            switch (form)
            {
                case "xwt":
                    Add("ours_xwt", () => Gemm.MatMulTransB(x, w, y, m, n, k));
                    if (baseline) Add("baseline_xwt", () => OpenBlas.MatMulTransB(x, w, y, m, n, k));
                    break;
                case "xwt_bf16":
                    Add("ours_xwt_bf16", () => Gemm.MatMulTransB(x, wbf, y, m, n, k));
                    break;
                case "dyw":
                    Add("ours_dyw", () => Gemm.MatMul(dy, w, dx, m, n, k));
                    if (baseline) Add("baseline_dyw", () => OpenBlas.MatMul(dy, w, dx, m, n, k));
                    break;
                case "dytx":
                    Add("ours_dytx", () => Gemm.MatMulTransA(dy, x, dw, m, n, k));
                    if (baseline) Add("baseline_dytx", () => OpenBlas.MatMulTransA(dy, x, dw, m, n, k));
                    break;
                default:
                    throw new ArgumentException($"unknown form '{form}' (xwt, xwt_bf16, dyw, dytx)");
            }
        }
        var best = BenchUtil.TimeInterleaved(actions, minReps: 6, minSeconds: 2.0);
        var result = new Dictionary<string, double>();
        for (int i = 0; i < names.Count; i++) result[names[i]] = BenchUtil.Gflops(m, n, k, best[i]);
        return result;
    }

    // Re-launches this binary with OPENBLAS_CORETYPE set; null when the child fails.
    private static Dictionary<string, double>? Child(string core, int threads, int m, int n, int k, string forms)
    {
        if (Environment.GetEnvironmentVariable(ChildMarker) is not null) return null; // never recurse
        string exe = Environment.ProcessPath ?? "dotnet";
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(exe) == "dotnet") psi.ArgumentList.Add(typeof(GemmBench).Assembly.Location);
        foreach (var a in new[] { "gemm", "--child", $"{m},{n},{k}", "--forms", forms, "--threads", threads.ToString(CultureInfo.InvariantCulture) })
            psi.ArgumentList.Add(a);
        psi.Environment["OPENBLAS_CORETYPE"] = core;
        psi.Environment["OPENBLAS_NUM_THREADS"] = threads.ToString(CultureInfo.InvariantCulture);
        // OpenBLAS's idle workers otherwise spin (sched_yield) for 2^28 cycles after each call, i.e. through our
        // interleaved run that follows, taking CPU from it; 2^4 cycles makes them sleep as ours do (~50 µs spin).
        psi.Environment["OPENBLAS_THREAD_TIMEOUT"] = "4";
        psi.Environment[ChildMarker] = "1";
        try
        {
            using var p = Process.Start(psi)!;
            var stderr = p.StandardError.ReadToEndAsync();
            string output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            string? line = output.Split('\n').LastOrDefault(l => l.StartsWith('{'));
            if (p.ExitCode != 0 || line is null)
            {
                Console.Error.WriteLine($"# child ({core}) failed: exit {p.ExitCode} {stderr.Result.Trim()}");
                return null;
            }
            using var doc = JsonDocument.Parse(line);
            var result = new Dictionary<string, double>();
            foreach (var prop in doc.RootElement.EnumerateObject())
                if (prop.Value.ValueKind == JsonValueKind.Number) result[prop.Name] = prop.Value.GetDouble();
            return result;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or JsonException)
        {
            Console.Error.WriteLine($"# child ({core}) could not run: {e.Message}");
            return null;
        }
    }
}
