// Fuzzing harness (issue 14): mutates valid files of every format TuneSharp reads, seeded, and checks each case ends in
// success or a documented error (a TuneSharpException subtype) within a time and memory bound. Run by .ci/run.
//   dotnet tests/TuneSharp.Fuzz/bin/Release/net10.0/TuneSharp.Fuzz.dll [--cases N] [--seed S] [--format NAME] [--verbose]
using System.Diagnostics;
using TuneSharp.Fuzz;

int cases = 1000;
int seed = 20261203;
string? only = null;
bool verbose = false;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--cases": cases = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
        case "--seed": seed = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
        case "--format": only = args[++i]; break;
        case "--verbose": verbose = true; break;
        default:
            Console.Error.WriteLine("usage: TuneSharp.Fuzz [--cases N] [--seed S] [--format NAME] [--verbose]");
            return 2;
    }
}

var work = Directory.CreateTempSubdirectory("tunesharp-fuzz-").FullName;
try
{
    var targets = FuzzTargets.Create(work);
    Console.WriteLine($"fuzz: seed {seed}, {cases} cases per format, case bound {FuzzRunner.CaseTimeout.TotalSeconds:0} s and {FuzzRunner.CaseMemoryBound / (1 << 20)} MiB allocated");
    Console.WriteLine($"{"format",-22} {"cases",6} {"accepted",9} {"clear errors",13} {"crashes",8} {"hangs",6} {"over memory",12} {"slowest ms",11} {"seconds",8}");
    var total = new FuzzStats("total");
    var clock = Stopwatch.StartNew();
    foreach (var target in targets.Where(t => only == null || t.Name == only))
    {
        var stats = FuzzRunner.Run(target, cases, seed, work, verbose);
        Console.WriteLine(stats.Row());
        total.Add(stats);
        if (stats.Hangs > 0) break; // a hung case keeps a thread busy; stop rather than skew the rest
    }
    Console.WriteLine(total.Row());
    Console.WriteLine($"fuzz: {total.Cases} cases, {total.ClearErrors} clear errors, {total.Crashes} crashes, {total.Hangs} hangs, {total.OverMemory} over memory, "
        + $"peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / (1 << 20)} MiB, {clock.Elapsed.TotalSeconds:F0} s");
    return total.Crashes + total.Hangs + total.OverMemory == 0 ? 0 : 1;
}
finally
{
    try { Directory.Delete(work, recursive: true); } catch (IOException) { }
}
