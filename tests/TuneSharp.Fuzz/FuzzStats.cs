// Per-format counts of a fuzz run and the first few crash examples.
namespace TuneSharp.Fuzz;

internal sealed class FuzzStats(string name)
{
    public string Name { get; } = name;
    public int Cases { get; set; }
    public int Accepted { get; set; }
    public int ClearErrors { get; set; }
    public int Crashes { get; set; }
    public int Hangs { get; set; }
    public int OverMemory { get; set; }
    public double SlowestMs { get; set; }
    public double Seconds { get; set; }

    public void Add(FuzzStats s)
    {
        Cases += s.Cases; Accepted += s.Accepted; ClearErrors += s.ClearErrors; Crashes += s.Crashes; Hangs += s.Hangs; OverMemory += s.OverMemory;
        SlowestMs = Math.Max(SlowestMs, s.SlowestMs);
        Seconds += s.Seconds;
    }

    public string Row() => $"{Name,-22} {Cases,6} {Accepted,9} {ClearErrors,13} {Crashes,8} {Hangs,6} {OverMemory,12} {SlowestMs,11:F0} {Seconds,8:F1}";
}
