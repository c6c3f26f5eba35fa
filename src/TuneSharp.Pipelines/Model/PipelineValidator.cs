// Checks a pipeline before anything runs: kinds, settings, needs (unknown names, cycles), budgets and missing inputs.
using YamlDotNet.RepresentationModel;

namespace TuneSharp.Pipelines.Model;

public static class PipelineValidator
{
    /// <summary>
    /// Validates <paramref name="p"/> and returns its steps in a topological order (file order among ready steps).
    /// <paramref name="verbs"/> lists the `tunesharp` verbs this build has (null: do not check).
    /// </summary>
    public static IReadOnlyList<StepDefinition> Validate(PipelineDefinition p, IReadOnlySet<string>? verbs = null)
    {
        string src = Path.GetFileName(p.SourcePath);
        var names = p.Steps.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var errors = new List<string>();
        foreach (var s in p.Steps)
        {
            string at = $"{src}: line {s.Line}: step '{s.Name}'";
            var kind = StepKinds.Find(s.Kind);
            if (kind == null)
            {
                errors.Add($"{at}: unknown kind '{s.Kind}'{PipelineParser.Hint(s.Kind, StepKinds.Names)}; kinds: {string.Join(", ", StepKinds.Names)}");
                continue;
            }
            if (kind.Verb != null && verbs != null && !verbs.Contains(kind.Verb))
                errors.Add($"{at}: kind '{s.Kind}' calls `tunesharp {kind.Verb}`, which this build does not have (it comes with the {kind.Verb} module); use a newer build or a shell step");
            foreach (var r in kind.Required.Where(r => !s.Settings.ContainsKey(r)))
                errors.Add($"{at}: kind '{s.Kind}' needs with: {{{r}: …}} ({kind.Description})");
            foreach (var (key, v) in s.Settings.Where(kv => !kind.AllSettings.Contains(kv.Key)))
                errors.Add($"{src}: line {v.Line}: step '{s.Name}': '{key}' is not a setting of kind '{s.Kind}'{PipelineParser.Hint(key, kind.AllSettings)}; settings: {string.Join(", ", kind.AllSettings)}");
            if (s.Kind == "shell" && string.IsNullOrWhiteSpace(s.Run)) errors.Add($"{at}: a shell step needs run: SCRIPT");
            if (s.Kind != "shell" && s.Run != null) errors.Add($"{at}: run: belongs to shell steps; kind '{s.Kind}' takes its settings under with:");
            foreach (var n in s.Needs)
            {
                if (n == s.Name) errors.Add($"{src}: line {s.NeedLines[n]}: step '{s.Name}' needs itself");
                else if (!names.Contains(n)) errors.Add($"{src}: line {s.NeedLines[n]}: step '{s.Name}' needs unknown step '{n}'{PipelineParser.Hint(n, names)}");
            }
            if (s.Threads > p.Threads) errors.Add($"{at}: threads {s.Threads} exceeds the pipeline's budget of {p.Threads} (top-level threads:)");
            if (p.MemoryBytes > 0 && s.MemoryBytes > p.MemoryBytes)
                errors.Add($"{at}: memory {ByteSize.Format(s.MemoryBytes)} exceeds the pipeline's budget of {ByteSize.Format(p.MemoryBytes)} (top-level memory:)");
        }
        if (errors.Count > 0) throw new PipelineException(string.Join("\n", errors));

        var order = TopologicalOrder(p, src);
        var missing = new List<string>();
        foreach (var s in p.Steps)
            foreach (var (label, path, line) in StaticInputs(p, s))
                if (!File.Exists(path) && !Directory.Exists(path))
                    missing.Add($"{src}: line {line}: step '{s.Name}': {label} '{path}' does not exist");
        if (missing.Count > 0) throw new PipelineException("missing inputs (nothing has run):\n" + string.Join("\n", missing), ExitCode.InputFormat);
        return order;
    }

    private static List<StepDefinition> TopologicalOrder(PipelineDefinition p, string src)
    {
        var state = p.Steps.ToDictionary(s => s.Name, _ => 0); // 0 new, 1 on stack, 2 done
        var order = new List<StepDefinition>();
        var stack = new List<string>();
        void Visit(StepDefinition s)
        {
            state[s.Name] = 1;
            stack.Add(s.Name);
            foreach (var n in s.Needs)
            {
                if (state[n] == 1)
                {
                    var cycle = stack.Skip(stack.IndexOf(n)).Append(n).ToList();
                    var lines = cycle.Distinct().Select(c => $"'{c}' (line {p[c].Line})");
                    throw new PipelineException($"{src}: the needs: edges form a cycle {string.Join(" → ", cycle)}; steps {string.Join(", ", lines)}; remove one of these needs");
                }
                if (state[n] == 0) Visit(p[n]);
            }
            stack.RemoveAt(stack.Count - 1);
            state[s.Name] = 2;
            order.Add(s);
        }
        foreach (var s in p.Steps) if (state[s.Name] == 0) Visit(s);
        return order;
    }

    /// <summary>Inputs that must exist before the run: path settings and inputs: not produced by a step, and the files a train config names.</summary>
    public static IEnumerable<(string Label, string Path, int Line)> StaticInputs(PipelineDefinition p, StepDefinition s)
    {
        var kind = StepKinds.Find(s.Kind)!;
        foreach (var key in kind.PathSettings)
            if (s.Settings.TryGetValue(key, out var v) && !v.Value.Contains("${"))
                yield return ($"{key}", Path.GetFullPath(Path.Combine(p.BaseDir, v.Value)), v.Line);
        foreach (var i in s.Inputs.Where(i => !i.Contains("${")))
            yield return ("input", Path.GetFullPath(Path.Combine(p.BaseDir, i)), s.Line);
        if (s.Kind == "train" && s.Settings.TryGetValue("config", out var cfg) && !cfg.Value.Contains("${"))
        {
            var overrides = s.Settings.TryGetValue("overrides", out var o) && o.Pairs != null ? o.Pairs.ToDictionary(kv => kv.Key, kv => kv.Value) : [];
            foreach (var (key, path) in TrainConfigPaths(Path.GetFullPath(Path.Combine(p.BaseDir, cfg.Value))))
                if (!overrides.ContainsKey(key)) yield return ($"{key} (in {Path.GetFileName(cfg.Value)})", path, cfg.Line);
            foreach (var (key, value) in overrides.Where(kv => StepKinds.IsPathOverride(kv.Key) && !kv.Value.Contains("${")))
                yield return ($"overrides.{key}", Path.GetFullPath(Path.Combine(p.BaseDir, value)), o!.Line);
        }
    }

    /// <summary>The file paths a train config names (model, data, tokenizer), resolved against the config's folder.</summary>
    public static IEnumerable<(string Key, string Path)> TrainConfigPaths(string configPath)
    {
        if (!File.Exists(configPath)) yield break;
        var stream = new YamlStream();
        try { stream.Load(new StringReader(File.ReadAllText(configPath))); }
        catch (YamlDotNet.Core.YamlException) { yield break; } // the train step reports it with its own line numbers
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root) yield break;
        string dir = Path.GetDirectoryName(configPath)!;
        foreach (var (section, key) in new[] { ("model", "name_or_path"), ("dataset", "path"), ("dataset", "eval_path"), ("tokenizer", "path") })
            if (root.Children.TryGetValue(new YamlScalarNode(section), out var sec) && sec is YamlMappingNode sm
                && sm.Children.TryGetValue(new YamlScalarNode(key), out var val) && val is YamlScalarNode { Value: { Length: > 0 } v })
                yield return ($"{section}.{key}", Path.GetFullPath(Path.Combine(dir, v)));
    }
}
