// `tunesharp runs list|show|compare`: the run registry (pipeline runs and training runs) as text or JSON.
using System.CommandLine;
using System.Text.Json;
using TuneSharp.Pipelines.Registry;

namespace TuneSharp.Cli.Commands;

[CliVerb(81)]
public static class RunsCommand
{
    public static Command Create()
    {
        var command = new Command("runs", "List, show and compare recorded runs (pipelines and trainings) from the run registry");
        var registry = new Option<string?>("--registry") { Description = "Registry database (default: $TUNESHARP_REGISTRY or ~/.tunesharp/registry.db)", Recursive = true };
        command.Options.Add(registry);
        RunRegistry Open(ParseResult p) => new(p.GetValue(registry) ?? RunRegistry.DefaultPath);

        var limit = new Option<int>("--limit") { DefaultValueFactory = _ => 30, Description = "Newest N runs" };
        var list = new Command("list", "Newest runs: id, name, kind, status, start, duration");
        list.Options.Add(limit);
        list.SetAction(p => PipelineCommand.Guard(() =>
        {
            var runs = Open(p).ListRuns(p.GetValue(limit));
            Console.Out.WriteLine($"{"id",4}  {"name",-24} {"kind",-8} {"status",-11} {"started (UTC)",-19} duration");
            foreach (var r in runs)
                Console.Out.WriteLine($"{r.Id,4}  {Trim(r.Name, 24),-24} {r.Kind,-8} {r.Status,-11} {r.Started.UtcDateTime:yyyy-MM-dd HH:mm:ss} {Duration(r.Started, r.Ended)}");
            return 0;
        }));
        command.Subcommands.Add(list);

        var id = new Argument<long>("id") { Description = "Run id (runs list)" };
        var json = new Option<bool>("--json") { Description = "Print the whole record as JSON" };
        var show = new Command("show", "One run: steps with status and logs, parameters, final metrics, artifacts, eval reports");
        show.Arguments.Add(id);
        show.Options.Add(json);
        show.SetAction(p => PipelineCommand.Guard(() =>
        {
            var d = Open(p).GetRun(p.GetValue(id)) ?? throw new Pipelines.PipelineException($"no run {p.GetValue(id)} in the registry (tunesharp runs list)", ExitCode.Usage);
            if (p.GetValue(json))
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(new { d.Run, d.Steps, Parameters = d.Parameters.ToDictionary(), FinalMetrics = d.FinalMetrics, d.Artifacts, d.Reports },
                    new JsonSerializerOptions { WriteIndented = true }));
                return 0;
            }
            var r = d.Run;
            Console.Out.WriteLine($"run {r.Id}: {r.Name} ({r.Kind}, {r.Executor ?? "local"}) {r.Status}, started {r.Started.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC, {Duration(r.Started, r.Ended)}");
            if (r.Source != null) Console.Out.WriteLine($"  pipeline: {r.Source}");
            if (r.WorkDir != null) Console.Out.WriteLine($"  folder:   {r.WorkDir}");
            Console.Out.WriteLine("steps:");
            foreach (var s in d.Steps)
                Console.Out.WriteLine($"  {s.Name,-16} {s.Kind,-12} {s.Status,-10} attempts {s.Attempts} {Duration(s.Started, s.Ended)}{(s.Needs.Count > 0 ? "  ← " + string.Join(", ", s.Needs) : "")}{(s.LogPath != null ? "  log " + s.LogPath : "")}");
            if (d.Parameters.Count > 0)
            {
                Console.Out.WriteLine("parameters:");
                foreach (var (k, v) in d.Parameters) Console.Out.WriteLine($"  {k} = {v.ReplaceLineEndings(" ")}");
            }
            if (d.FinalMetrics.Count > 0)
            {
                Console.Out.WriteLine("final metrics:");
                foreach (var (k, v) in d.FinalMetrics.OrderBy(kv => kv.Key, StringComparer.Ordinal)) Console.Out.WriteLine($"  {k} = {PipelineCommand.F(v)}");
            }
            foreach (var rep in d.Reports) Console.Out.WriteLine($"eval report ({rep.Step}): {rep.Path}{(rep.Plots.Count > 0 ? $", {rep.Plots.Count} plot(s)" : "")}");
            Console.Out.WriteLine($"artifacts: {d.Artifacts.Count} files, {d.Artifacts.Sum(a => a.Bytes) / 1024.0:0.#} KiB");
            return 0;
        }));
        command.Subcommands.Add(show);

        var ids = new Argument<long[]>("ids") { Arity = new ArgumentArity(2, 10), Description = "Two or more run ids" };
        var compare = new Command("compare", "Side by side: the parameters that differ and the final metrics of each run");
        compare.Arguments.Add(ids);
        compare.SetAction(p => PipelineCommand.Guard(() =>
        {
            var reg = Open(p);
            var runs = p.GetValue(ids)!.Select(i => reg.GetRun(i) ?? throw new Pipelines.PipelineException($"no run {i} in the registry (tunesharp runs list)", ExitCode.Usage)).ToList();
            var table = RunComparison.Build(runs);
            int w = Math.Max(10, table.Rows.Max(row => row.Key.Length));
            Console.Out.WriteLine("".PadRight(w) + "  " + string.Join("  ", runs.Select(r => ("run " + r.Run.Id).PadRight(14))));
            foreach (var row in table.Rows)
                Console.Out.WriteLine($"{row.Key.PadRight(w)}  " + string.Join("  ", row.Values.Select(v => $"{Trim(v ?? "–", 14),-14}")));
            return 0;
        }));
        command.Subcommands.Add(compare);
        return command;
    }

    private static string Trim(string s, int n) => s.Length <= n ? s : s[..(n - 1)] + "…";

    private static string Duration(DateTimeOffset? a, DateTimeOffset? b) => a is null ? "" : b is null ? "running" : $"{(b.Value - a.Value).TotalSeconds:0.0} s";
}
