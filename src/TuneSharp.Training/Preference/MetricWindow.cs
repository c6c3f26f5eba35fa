// Running means of named metrics over a logging window (TRL's store_metrics / log: mean of the stored values).
using System.Text.Json.Nodes;

namespace TuneSharp.Training.Preference;

/// <summary>Per-key sums and counts in insertion order; <see cref="Drain"/> returns the means and clears.</summary>
internal sealed class MetricWindow
{
    private readonly List<string> _order = [];
    private readonly Dictionary<string, (double Sum, int Count)> _values = [];

    public void Add(IReadOnlyDictionary<string, double> metrics)
    {
        foreach (var (k, v) in metrics)
        {
            if (!_values.TryGetValue(k, out var cur)) { _order.Add(k); cur = (0, 0); }
            _values[k] = (cur.Sum + v, cur.Count + 1);
        }
    }

    public List<(string Key, double Mean)> Drain()
    {
        var r = _order.Select(k => (k, _values[k].Sum / _values[k].Count)).ToList();
        _order.Clear();
        _values.Clear();
        return r;
    }

    public JsonObject ToJson()
    {
        var o = new JsonObject();
        foreach (var k in _order) o[k] = new JsonObject { ["sum"] = _values[k].Sum, ["count"] = _values[k].Count };
        return o;
    }

    public void Load(JsonObject? state)
    {
        _order.Clear();
        _values.Clear();
        if (state == null) return;
        foreach (var (k, v) in state)
        {
            if (v is not JsonObject e) continue;
            _order.Add(k);
            _values[k] = (e["sum"]!.GetValue<double>(), e["count"]!.GetValue<int>());
        }
    }
}
