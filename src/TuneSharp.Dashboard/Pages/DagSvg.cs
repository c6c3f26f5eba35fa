// Draws a run's steps as a left-to-right DAG in SVG: one column per depth (longest path from a root), boxes coloured by status.
using System.Text;
using TuneSharp.Pipelines.Registry;

namespace TuneSharp.Dashboard.Pages;

internal static class DagSvg
{
    private static readonly Dictionary<string, string> Colors = new()
    {
        ["succeeded"] = "#2e8b57", ["completed"] = "#2e8b57", ["cached"] = "#6b7fa8", ["running"] = "#d98e04", ["failed"] = "#c0392b",
        ["skipped"] = "#999", ["pending"] = "#bbb",
    };

    public static string Render(IReadOnlyList<StepRow> steps)
    {
        const int w = 150, h = 44, gapX = 60, gapY = 18;
        var byName = steps.ToDictionary(s => s.Name);
        var depth = new Dictionary<string, int>();
        int Depth(string n) => depth.TryGetValue(n, out var d) ? d
            : depth[n] = byName[n].Needs.Where(byName.ContainsKey).Select(x => Depth(x) + 1).DefaultIfEmpty(0).Max();
        foreach (var s in steps) Depth(s.Name);
        var columns = steps.GroupBy(s => depth[s.Name]).OrderBy(g => g.Key).ToList();
        var pos = new Dictionary<string, (int X, int Y)>();
        foreach (var col in columns)
        {
            int row = 0;
            foreach (var s in col) pos[s.Name] = (10 + col.Key * (w + gapX), 10 + row++ * (h + gapY));
        }
        int width = pos.Values.Max(p => p.X) + w + 20, height = pos.Values.Max(p => p.Y) + h + 20;
        var svg = new StringBuilder($"<svg id=\"dag\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" style=\"background:#fff;border:1px solid #e3e6ef\">");
        svg.Append("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0L10,5L0,10z\" fill=\"#777\"/></marker></defs>");
        foreach (var s in steps)
            foreach (var n in s.Needs.Where(pos.ContainsKey))
            {
                var (x1, y1) = pos[n];
                var (x2, y2) = pos[s.Name];
                svg.Append($"<path d=\"M{x1 + w},{y1 + h / 2} C{x1 + w + gapX / 2},{y1 + h / 2} {x2 - gapX / 2},{y2 + h / 2} {x2},{y2 + h / 2}\" stroke=\"#777\" fill=\"none\" marker-end=\"url(#arrow)\"/>");
            }
        foreach (var s in steps)
        {
            var (x, y) = pos[s.Name];
            var color = Colors.GetValueOrDefault(s.Status, "#999");
            svg.Append($"<g class=\"node\" data-step=\"{Html.E(s.Name)}\" data-status=\"{Html.E(s.Status)}\"><a href=\"#step-{Html.E(s.Name)}\">");
            svg.Append($"<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" rx=\"6\" fill=\"{color}\"/>");
            svg.Append($"<text x=\"{x + 8}\" y=\"{y + 18}\" fill=\"#fff\" font-size=\"13\" font-weight=\"600\">{Html.E(s.Name)}</text>");
            svg.Append($"<text x=\"{x + 8}\" y=\"{y + 35}\" fill=\"#fff\" font-size=\"11\">{Html.E(s.Kind)} · {Html.E(s.Status)}</text></a></g>");
        }
        return svg.Append("</svg>").ToString();
    }
}
