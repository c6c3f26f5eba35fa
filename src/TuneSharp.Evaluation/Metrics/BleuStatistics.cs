// BLEU sufficient statistics of one or more segments: lengths and per-order matched / total n-gram counts.
namespace TuneSharp.Evaluation.Metrics;

public sealed class BleuStatistics(int maxOrder)
{
    public long SysLen { get; set; }
    public long RefLen { get; set; }
    public double[] Correct { get; } = new double[maxOrder];
    public double[] Total { get; } = new double[maxOrder];

    public void Add(BleuStatistics other)
    {
        SysLen += other.SysLen;
        RefLen += other.RefLen;
        for (int i = 0; i < Correct.Length; i++) { Correct[i] += other.Correct[i]; Total[i] += other.Total[i]; }
    }
}
