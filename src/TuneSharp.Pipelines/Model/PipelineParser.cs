// Reads pipeline.yaml (YamlDotNet representation model, so every error can name its line) into a PipelineDefinition.
using System.Globalization;
using System.Text.RegularExpressions;
using TuneSharp.Data;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace TuneSharp.Pipelines.Model;

public static partial class PipelineParser
{
    private static readonly string[] TopKeys = ["name", "description", "work_dir", "threads", "memory", "executor", "slurm", "steps"];
    private static readonly string[] StepKeys = ["kind", "description", "needs", "with", "inputs", "run", "threads", "memory", "retries", "retry_delay", "timeout", "env"];

    [GeneratedRegex(@"\$\{steps\.([A-Za-z0-9_\-]+)\.out\}")]
    public static partial Regex StepReference();

    public static PipelineDefinition Load(string path)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new PipelineException($"{path}: pipeline file not found", ExitCode.InputFormat);
        return Parse(File.ReadAllText(full), full);
    }

    public static PipelineDefinition Parse(string yaml, string sourcePath)
    {
        var src = Path.GetFileName(sourcePath);
        var stream = new YamlStream();
        try { stream.Load(new StringReader(yaml)); }
        catch (YamlException e)
        {
            throw new PipelineException($"{src}: line {e.Start.Line}, column {e.Start.Column}: invalid YAML: {e.Message}", ExitCode.Config, e);
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new PipelineException($"{src}: the top level must be a mapping with name: and steps:");

        string Err(YamlNode n, string msg) => $"{src}: line {L(n)}: {msg}";
        var top = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        foreach (var (k, v) in root.Children)
        {
            var key = ((YamlScalarNode)k).Value ?? "";
            if (!TopKeys.Contains(key)) throw new PipelineException(Err(k, $"unknown key '{key}'{Hint(key, TopKeys)}; allowed: {string.Join(", ", TopKeys)}"));
            top[key] = v;
        }
        string baseDir = Path.GetDirectoryName(sourcePath)!;
        string name = top.TryGetValue("name", out var nn) ? Scalar(nn, src, "name") : Path.GetFileName(baseDir);
        string work = top.TryGetValue("work_dir", out var wd) ? Scalar(wd, src, "work_dir") : Path.Combine(".tunesharp", name);
        int threads = top.TryGetValue("threads", out var th) ? Int(th, src, "threads", 1) : Environment.ProcessorCount;
        long memory = top.TryGetValue("memory", out var mem) ? Bytes(mem, src, "memory") : 0;
        string executor = top.TryGetValue("executor", out var ex) ? Scalar(ex, src, "executor") : "local";
        if (executor is not ("local" or "slurm"))
            throw new PipelineException(Err(ex!, $"executor '{executor}' is not one of local, slurm{Hint(executor, ["local", "slurm"])}"));
        var slurm = new Dictionary<string, string>(StringComparer.Ordinal);
        if (top.TryGetValue("slurm", out var sl))
        {
            if (sl is not YamlMappingNode sm) throw new PipelineException(Err(sl, "slurm: must be a mapping (partition: debug, time: 00:10:00, …)"));
            foreach (var (k, v) in sm.Children) slurm[((YamlScalarNode)k).Value!] = Scalar(v, src, "slurm." + ((YamlScalarNode)k).Value);
        }
        if (!top.TryGetValue("steps", out var stepsNode) || stepsNode is not YamlMappingNode stepsMap || stepsMap.Children.Count == 0)
            throw new PipelineException($"{src}: no steps: add a 'steps:' mapping of step name → {{kind: …, needs: […], with: {{…}}}}");

        var steps = new List<StepDefinition>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (k, v) in stepsMap.Children)
        {
            var stepName = ((YamlScalarNode)k).Value ?? "";
            if (!StepNameRegex().IsMatch(stepName))
                throw new PipelineException(Err(k, $"step name '{stepName}' may use only letters, digits, '-' and '_'"));
            if (!seen.Add(stepName)) throw new PipelineException(Err(k, $"step '{stepName}' is defined twice"));
            steps.Add(ParseStep(stepName, k, v, src));
        }
        return new PipelineDefinition
        {
            Name = name,
            SourcePath = sourcePath,
            WorkDir = Path.GetFullPath(Path.Combine(baseDir, work)),
            Threads = threads,
            MemoryBytes = memory,
            Executor = executor,
            SlurmOptions = slurm,
            Steps = steps,
        };
    }

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_\\-]*$")]
    private static partial Regex StepNameRegex();

    private static StepDefinition ParseStep(string name, YamlNode keyNode, YamlNode node, string src)
    {
        string Err(YamlNode n, string msg) => $"{src}: line {L(n)}: step '{name}': {msg}";
        if (node is not YamlMappingNode map) throw new PipelineException(Err(keyNode, "must be a mapping with kind: and its settings"));
        var f = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        foreach (var (k, v) in map.Children)
        {
            var key = ((YamlScalarNode)k).Value ?? "";
            if (!StepKeys.Contains(key)) throw new PipelineException(Err(k, $"unknown key '{key}'{Hint(key, StepKeys)}; allowed: {string.Join(", ", StepKeys)} (kind settings go under with:)"));
            f[key] = v;
        }
        if (!f.TryGetValue("kind", out var kindNode)) throw new PipelineException(Err(keyNode, $"no kind: set one of {string.Join(", ", StepKinds.Names)}"));
        string kind = Scalar(kindNode, src, $"steps.{name}.kind");
        var needs = new List<string>();
        var needLines = new Dictionary<string, int>(StringComparer.Ordinal);
        if (f.TryGetValue("needs", out var needsNode))
        {
            IEnumerable<YamlNode> items = needsNode is YamlSequenceNode seq ? seq.Children : [needsNode];
            foreach (var item in items)
            {
                var n = Scalar(item, src, $"steps.{name}.needs");
                if (!needs.Contains(n)) { needs.Add(n); needLines[n] = L(item); }
            }
        }
        var settings = new Dictionary<string, StepSetting>(StringComparer.Ordinal);
        if (f.TryGetValue("with", out var withNode))
        {
            if (withNode is not YamlMappingNode wm) throw new PipelineException(Err(withNode, "with: must be a mapping of the kind's settings"));
            foreach (var (k, v) in wm.Children)
            {
                var key = ((YamlScalarNode)k).Value!;
                settings[key] = v switch
                {
                    YamlSequenceNode s => new StepSetting(string.Join(",", s.Children.Select(c => Scalar(c, src, $"steps.{name}.with.{key}"))), L(k),
                        s.Children.Select(c => Scalar(c, src, key)).ToList()),
                    YamlMappingNode m => new StepSetting(string.Join("\n", m.Children.Select(p => $"{((YamlScalarNode)p.Key).Value}={Flow(p.Value)}")), L(k), null,
                        m.Children.Select(p => new KeyValuePair<string, string>(((YamlScalarNode)p.Key).Value!, Flow(p.Value))).ToList()),
                    _ => new StepSetting(Scalar(v, src, $"steps.{name}.with.{key}"), L(k)),
                };
            }
        }
        var inputs = new List<string>();
        if (f.TryGetValue("inputs", out var inNode))
            foreach (var item in inNode is YamlSequenceNode seq ? seq.Children : [inNode]) inputs.Add(Scalar(item, src, $"steps.{name}.inputs"));
        string? run = f.TryGetValue("run", out var runNode) ? Scalar(runNode, src, $"steps.{name}.run") : null;
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        if (f.TryGetValue("env", out var envNode))
        {
            if (envNode is not YamlMappingNode em) throw new PipelineException(Err(envNode, "env: must be a mapping NAME: value"));
            foreach (var (k, v) in em.Children) env[((YamlScalarNode)k).Value!] = Scalar(v, src, "env");
        }
        // ${steps.X.out} in settings or the script is a dependency even when needs: forgets it.
        foreach (var text in settings.Values.Select(s => s.Value).Append(run ?? "").Concat(inputs))
            foreach (Match m in StepReference().Matches(text))
                if (!needs.Contains(m.Groups[1].Value)) { needs.Add(m.Groups[1].Value); needLines[m.Groups[1].Value] = L(keyNode); }
        return new StepDefinition
        {
            Name = name,
            Kind = kind,
            Line = L(keyNode),
            Needs = needs,
            NeedLines = needLines,
            Settings = settings,
            Inputs = inputs,
            Run = run,
            Threads = f.TryGetValue("threads", out var t) ? Int(t, src, $"steps.{name}.threads", 1) : 1,
            MemoryBytes = f.TryGetValue("memory", out var mm) ? Bytes(mm, src, $"steps.{name}.memory") : 0,
            Retries = f.TryGetValue("retries", out var r) ? Int(r, src, $"steps.{name}.retries", 0) : 0,
            RetryDelay = f.TryGetValue("retry_delay", out var rd) ? TimeSpan.FromSeconds(Number(rd, src, $"steps.{name}.retry_delay")) : TimeSpan.FromSeconds(1),
            Timeout = f.TryGetValue("timeout", out var to) ? TimeSpan.FromSeconds(Number(to, src, $"steps.{name}.timeout")) : TimeSpan.Zero,
            Env = env,
        };
    }

    private static string Flow(YamlNode n) => n switch
    {
        YamlScalarNode s => s.Value ?? "",
        YamlSequenceNode q => "[" + string.Join(", ", q.Children.Select(Flow)) + "]",
        YamlMappingNode m => "{" + string.Join(", ", m.Children.Select(p => $"{Flow(p.Key)}: {Flow(p.Value)}")) + "}",
        _ => "",
    };

    private static string Scalar(YamlNode n, string src, string key) => n is YamlScalarNode s
        ? s.Value ?? ""
        : throw new PipelineException($"{src}: line {L(n)}: {key} must be a single value");

    private static int Int(YamlNode n, string src, string key, int min)
    {
        var v = Scalar(n, src, key);
        if (!int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int i) || i < min)
            throw new PipelineException($"{src}: line {L(n)}: {key} '{v}' must be an integer ≥ {min}");
        return i;
    }

    private static double Number(YamlNode n, string src, string key)
    {
        var v = Scalar(n, src, key);
        if (!double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) || d < 0 || !double.IsFinite(d))
            throw new PipelineException($"{src}: line {L(n)}: {key} '{v}' must be a number of seconds ≥ 0");
        return d;
    }

    private static long Bytes(YamlNode n, string src, string key)
    {
        var v = Scalar(n, src, key);
        if (!ByteSize.TryParse(v, out long b)) throw new PipelineException($"{src}: line {L(n)}: {key} '{v}' is not a size like 512MB or 4GB");
        return b;
    }

    private static int L(YamlNode n) => (int)n.Start.Line;

    internal static string Hint(string word, IEnumerable<string> candidates) => Suggest.Closest(word, candidates) is { } s ? $" (did you mean '{s}'?)" : "";
}
