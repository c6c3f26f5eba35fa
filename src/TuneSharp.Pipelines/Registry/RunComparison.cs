// Side-by-side comparison of runs: parameters that differ, then the final value of every metric.
using System.Globalization;

namespace TuneSharp.Pipelines.Registry;

public sealed record RunComparison(IReadOnlyList<RunComparison.Row> Rows)
{
    public sealed record Row(string Key, IReadOnlyList<string?> Values, bool IsMetric);

    public static RunComparison Build(IReadOnlyList<RunDetail> runs)
    {
        var rows = new List<Row>
        {
            new("name", runs.Select(r => (string?)r.Run.Name).ToList(), false),
            new("status", runs.Select(r => (string?)r.Run.Status).ToList(), false),
        };
        var paramMaps = runs.Select(r => r.Parameters.ToDictionary(kv => kv.Key, kv => kv.Value)).ToList();
        foreach (var key in paramMaps.SelectMany(m => m.Keys).Distinct().Order(StringComparer.Ordinal))
        {
            var values = paramMaps.Select(m => m.GetValueOrDefault(key)).ToList();
            if (values.Distinct().Count() > 1) rows.Add(new Row(key, values.Select(v => v?.ReplaceLineEndings(" ")).ToList(), false));
        }
        var metricMaps = runs.Select(r => r.FinalMetrics).ToList();
        foreach (var key in metricMaps.SelectMany(m => m.Keys).Distinct().Order(StringComparer.Ordinal))
            rows.Add(new Row(key, metricMaps.Select(m => m.TryGetValue(key, out var v) ? v.ToString("0.####", CultureInfo.InvariantCulture) : null).ToList(), true));
        return new RunComparison(rows);
    }
}
