// Runs one format's cases: mutate a seed, write it, read it on a worker thread with a time bound, classify the outcome.
using System.Diagnostics;

namespace TuneSharp.Fuzz;

internal static class FuzzRunner
{
    public static readonly TimeSpan CaseTimeout = TimeSpan.FromSeconds(15);
    public const long CaseMemoryBound = 1L << 30;
    private const int StackSize = 8 << 20; // what a CLI main thread has on Linux

    public static FuzzStats Run(FuzzTarget target, int cases, int seed, string work, bool verbose)
    {
        var stats = new FuzzStats(target.Name);
        var folder = Path.Combine(work, target.Name);
        Directory.CreateDirectory(folder);
        target.Prepare(folder);
        var crashKinds = new Dictionary<string, int>();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < cases; i++)
        {
            var rng = new Random(unchecked(seed * 1_000_003 + StableHash(target.Name) * 7919 + i));
            var (fileName, bytes) = target.Seeds[rng.Next(target.Seeds.Count)];
            var mutated = Mutator.Mutate(bytes, rng, target.Text, target.Jinja);
            var path = Path.Combine(folder, fileName);
            File.WriteAllBytes(path, mutated);

            Exception? error = null;
            long allocated = 0;
            var sw = Stopwatch.StartNew();
            var thread = new Thread(() =>
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                try { target.Read(folder, path); }
                catch (Exception e) { error = e; }
                allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            }, StackSize) { IsBackground = true };
            thread.Start();
            bool finished = thread.Join(CaseTimeout);
            double ms = sw.Elapsed.TotalMilliseconds;
            stats.Cases++;
            stats.SlowestMs = Math.Max(stats.SlowestMs, ms);
            // Restore companion files a case may have replaced (the mutated file is rewritten each case anyway).
            foreach (var (name, seedBytes) in target.Seeds)
                if (name != fileName) File.WriteAllBytes(Path.Combine(folder, name), seedBytes);
            if (!finished)
            {
                stats.Hangs++;
                Report(target, i, "hang", $"no result after {CaseTimeout.TotalSeconds:0} s", mutated);
                break;
            }
            if (allocated > CaseMemoryBound)
            {
                stats.OverMemory++;
                Report(target, i, "memory", $"{allocated >> 20} MiB allocated", mutated);
            }
            switch (error)
            {
                case null: stats.Accepted++; break;
                case TuneSharpException: stats.ClearErrors++; break;
                default:
                    stats.Crashes++;
                    var kind = $"{error.GetType().Name} at {error.StackTrace?.Split('\n').FirstOrDefault()?.Trim()}";
                    crashKinds[kind] = crashKinds.GetValueOrDefault(kind) + 1;
                    if (verbose || crashKinds[kind] == 1) Report(target, i, error.GetType().FullName!, error.Message, mutated);
                    break;
            }
            if (verbose && error is TuneSharpException t) Console.WriteLine($"  [{target.Name} #{i}] clear: {t.Message[..Math.Min(160, t.Message.Length)]}");
        }
        stats.Seconds = clock.Elapsed.TotalSeconds;
        foreach (var (kind, count) in crashKinds.OrderByDescending(k => k.Value)) Console.WriteLine($"  crash ×{count}: {kind}");
        return stats;
    }

    private static int StableHash(string s)
    {
        int h = 17;
        foreach (char c in s) h = unchecked(h * 31 + c);
        return h & 0x7FFFFFFF;
    }

    private static void Report(FuzzTarget target, int index, string kind, string message, byte[] input)
    {
        var one = message.Replace('\n', ' ');
        Console.WriteLine($"  [{target.Name} case {index}] {kind}: {one[..Math.Min(300, one.Length)]}");
        var keep = Environment.GetEnvironmentVariable("TUNESHARP_FUZZ_KEEP");
        if (!string.IsNullOrEmpty(keep))
        {
            Directory.CreateDirectory(keep);
            File.WriteAllBytes(Path.Combine(keep, $"{target.Name}-{index}-{kind.Split('.').Last()}"), input);
        }
    }
}
