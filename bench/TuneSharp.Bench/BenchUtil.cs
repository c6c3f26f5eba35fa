// Shared timing and output helpers for benchmark modes (warm-up, best-of-N timing, flags, JSON lines).
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace TuneSharp.Bench;

/// <summary>Small helpers any benchmark mode may reuse.</summary>
public static class BenchUtil
{
    /// <summary>
    /// Runs <paramref name="action"/> once to warm up (JIT, page faults, caches), then at least
    /// <paramref name="minReps"/> times and until <paramref name="minSeconds"/> have passed (at most
    /// <paramref name="maxReps"/>); returns the best and the median time in seconds. The best is the least
    /// disturbed by other processes on a shared machine.
    /// </summary>
    public static (double Best, double Median) Time(Action action, int minReps = 3, double minSeconds = 0.3, int maxReps = 50)
    {
        action();
        var times = new List<double>();
        var total = Stopwatch.StartNew();
        while (times.Count < minReps || (total.Elapsed.TotalSeconds < minSeconds && times.Count < maxReps))
        {
            long t0 = Stopwatch.GetTimestamp();
            action();
            times.Add(Stopwatch.GetElapsedTime(t0).TotalSeconds);
        }
        times.Sort();
        return (times[0], times[times.Count / 2]);
    }

    /// <summary>
    /// Times several actions side by side: one warm-up each, then rounds that run every action once in turn
    /// (so a noisy neighbour hurts all of them alike), until each has <paramref name="minReps"/> runs and
    /// <paramref name="minSeconds"/> have passed. Returns each action's best time in seconds.
    /// </summary>
    public static double[] TimeInterleaved(IReadOnlyList<Action> actions, int minReps = 3, double minSeconds = 0.5, int maxReps = 30)
    {
        foreach (var a in actions) a();
        var best = new double[actions.Count];
        Array.Fill(best, double.PositiveInfinity);
        var total = Stopwatch.StartNew();
        for (int rep = 0; rep < minReps || (total.Elapsed.TotalSeconds < minSeconds && rep < maxReps); rep++)
            for (int i = 0; i < actions.Count; i++)
            {
                long t0 = Stopwatch.GetTimestamp();
                actions[i]();
                best[i] = Math.Min(best[i], Stopwatch.GetElapsedTime(t0).TotalSeconds);
            }
        return best;
    }

    /// <summary>GFLOP/s of an (m, n, k) matrix product taking <paramref name="seconds"/>.</summary>
    public static double Gflops(long m, long n, long k, double seconds) => 2.0 * m * n * k / seconds / 1e9;

    /// <summary>True when <paramref name="flag"/> (e.g. "--json") is among the arguments.</summary>
    public static bool HasFlag(string[] args, string flag) => Array.IndexOf(args, flag) >= 0;

    /// <summary>The value after <paramref name="option"/> (e.g. "--threads 2"), or null.</summary>
    public static string? Option(string[] args, string option)
    {
        int i = Array.IndexOf(args, option);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    /// <summary>Deterministic values uniform in [-1, 1).</summary>
    public static float[] RandomArray(int length, int seed)
    {
        var rng = new Random(seed);
        var v = new float[length];
        for (int i = 0; i < v.Length; i++) v[i] = (float)(rng.NextDouble() * 2 - 1);
        return v;
    }

    /// <summary>One JSON object on one line from (key, value) pairs; numbers invariant, null for NaN.</summary>
    public static string JsonLine(params (string Key, object? Value)[] fields)
    {
        var sb = new StringBuilder("{");
        for (int i = 0; i < fields.Length; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append('"').Append(fields[i].Key).Append("\": ");
            sb.Append(fields[i].Value switch
            {
                null => "null",
                double d when double.IsNaN(d) || double.IsInfinity(d) => "null",
                double d => Math.Round(d, 3).ToString(CultureInfo.InvariantCulture),
                int n => n.ToString(CultureInfo.InvariantCulture),
                bool b => b ? "true" : "false",
                var o => "\"" + o.ToString()!.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"",
            });
        }
        return sb.Append('}').ToString();
    }
}
