// `peak` mode: the machine's FMA peak (GFLOP/s) from independent-accumulator FMA loops, 1 and 2 threads.
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace TuneSharp.Bench;

[BenchMode("peak")]
public static class PeakBench
{
    public static int Run(string[] args)
    {
        bool json = BenchUtil.HasFlag(args, "--json");
        foreach (int threads in new[] { 1, 2 })
        {
            double v512 = Vector512.IsHardwareAccelerated ? Measure(threads, wide: true) : double.NaN;
            double v256 = Measure(threads, wide: false);
            if (json) Console.WriteLine(BenchUtil.JsonLine(("threads", threads), ("vector512_gflops", v512), ("vector256_gflops", v256)));
            else Console.WriteLine($"FMA peak, {threads} thread(s): Vector512 {v512,7:F1} GFLOP/s   Vector256 {v256,7:F1} GFLOP/s");
        }
        return 0;
    }

    /// <summary>Best-of-5 FMA throughput on <paramref name="threads"/> OS threads (GFLOP/s, F32).</summary>
    public static double Measure(int threads, bool wide = true, long iterations = 20_000_000)
    {
        double best = 0;
        for (int rep = 0; rep < 5; rep++)
        {
            var workers = new Thread[threads];
            using var start = new Barrier(threads + 1);
            for (int t = 0; t < threads; t++)
            {
                workers[t] = new Thread(() =>
                {
                    start.SignalAndWait();
                    Sink(wide ? Loop512(iterations / 4) : Loop256(iterations / 4));
                });
                workers[t].Start();
            }
            // Start the clock before releasing the workers: if this thread is descheduled at the barrier, starting
            // it afterwards would miss part of their loops and report an impossible peak.
            var sw = Stopwatch.StartNew();
            start.SignalAndWait();
            foreach (var w in workers) w.Join();
            double seconds = sw.Elapsed.TotalSeconds;
            double flops = (double)threads * (iterations / 4) * 12 * 2 * (wide ? 16 : 8);
            best = Math.Max(best, flops / seconds / 1e9);
        }
        return best;
    }

    private static volatile float _sink;

    private static void Sink(float v) => _sink = v;

    // 12 independent FMA chains: enough to cover a 4-cycle latency at 2 (256-bit) or 1 (double-pumped 512-bit) per cycle.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Loop512(long n)
    {
        var m = Vector512.Create(0.999999f);
        var c = Vector512.Create(1e-7f);
        Vector512<float> a0 = Vector512.Create(1f), a1 = a0 + c, a2 = a1 + c, a3 = a2 + c, a4 = a3 + c, a5 = a4 + c,
            a6 = a5 + c, a7 = a6 + c, a8 = a7 + c, a9 = a8 + c, a10 = a9 + c, a11 = a10 + c;
        for (long i = 0; i < n; i++)
        {
            a0 = Vector512.FusedMultiplyAdd(a0, m, c); a1 = Vector512.FusedMultiplyAdd(a1, m, c);
            a2 = Vector512.FusedMultiplyAdd(a2, m, c); a3 = Vector512.FusedMultiplyAdd(a3, m, c);
            a4 = Vector512.FusedMultiplyAdd(a4, m, c); a5 = Vector512.FusedMultiplyAdd(a5, m, c);
            a6 = Vector512.FusedMultiplyAdd(a6, m, c); a7 = Vector512.FusedMultiplyAdd(a7, m, c);
            a8 = Vector512.FusedMultiplyAdd(a8, m, c); a9 = Vector512.FusedMultiplyAdd(a9, m, c);
            a10 = Vector512.FusedMultiplyAdd(a10, m, c); a11 = Vector512.FusedMultiplyAdd(a11, m, c);
        }
        return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Loop256(long n)
    {
        var m = Vector256.Create(0.999999f);
        var c = Vector256.Create(1e-7f);
        Vector256<float> a0 = Vector256.Create(1f), a1 = a0 + c, a2 = a1 + c, a3 = a2 + c, a4 = a3 + c, a5 = a4 + c,
            a6 = a5 + c, a7 = a6 + c, a8 = a7 + c, a9 = a8 + c, a10 = a9 + c, a11 = a10 + c;
        for (long i = 0; i < n; i++)
        {
            a0 = Vector256.FusedMultiplyAdd(a0, m, c); a1 = Vector256.FusedMultiplyAdd(a1, m, c);
            a2 = Vector256.FusedMultiplyAdd(a2, m, c); a3 = Vector256.FusedMultiplyAdd(a3, m, c);
            a4 = Vector256.FusedMultiplyAdd(a4, m, c); a5 = Vector256.FusedMultiplyAdd(a5, m, c);
            a6 = Vector256.FusedMultiplyAdd(a6, m, c); a7 = Vector256.FusedMultiplyAdd(a7, m, c);
            a8 = Vector256.FusedMultiplyAdd(a8, m, c); a9 = Vector256.FusedMultiplyAdd(a9, m, c);
            a10 = Vector256.FusedMultiplyAdd(a10, m, c); a11 = Vector256.FusedMultiplyAdd(a11, m, c);
        }
        return Vector256.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }
}
