// Runs a validated pipeline: cache checks, parallel scheduling within the thread/memory budgets, retries, atomic commits.
using System.Text;
using System.Text.Json;
using TuneSharp.Pipelines.Model;
using TuneSharp.Tensors.IO;

namespace TuneSharp.Pipelines.Running;

/// <summary>
/// Work folder layout: <c>steps/NAME/</c> holds a finished step's output with its <see cref="StepManifest"/> (the only
/// thing a later run trusts), <c>tmp/</c> the attempts in progress (deleted at the start of every run), <c>logs/NAME.log</c>
/// each step's output, <c>status.json</c> the live state. A step attempt writes into its own <c>tmp/</c> folder; only when it
/// exits 0 does the runner write the manifest and rename the folder to <c>steps/NAME</c>, so a run killed at any moment
/// leaves either the old committed output or the new one, never half of one. Resuming is the cache: every committed step
/// whose key still matches is skipped, so a rerun continues from the first unfinished step.
/// </summary>
public sealed class PipelineRunner(PipelineDefinition pipeline, PipelineRunOptions options)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };
    private readonly object _gate = new();
    private readonly Dictionary<string, StepOutcome> _steps = [];
    private long _runId;

    public IReadOnlyDictionary<string, StepOutcome> Steps => _steps;

    public string StepsDir => Path.Combine(pipeline.WorkDir, "steps");

    public string LogsDir => Path.Combine(pipeline.WorkDir, "logs");

    private string TmpDir => Path.Combine(pipeline.WorkDir, "tmp");

    /// <summary>Runs to the end (or the first failure of a step nothing else can proceed without). True when every step succeeded or was cached.</summary>
    public async Task<bool> RunAsync(CancellationToken cancellationToken = default)
    {
        var order = PipelineValidator.Validate(pipeline, options.Verbs);
        foreach (var f in options.Force.Where(f => order.All(s => s.Name != f)))
            throw new PipelineException($"--force {f}: no step of that name in {Path.GetFileName(pipeline.SourcePath)}{PipelineParser.Hint(f, order.Select(s => s.Name))}", ExitCode.Usage);
        Directory.CreateDirectory(StepsDir);
        Directory.CreateDirectory(LogsDir);
        Directory.CreateDirectory(TmpDir);
        using var runLock = AcquireLock();
        foreach (var d in Directory.EnumerateDirectories(TmpDir)) TryDelete(d); // attempts of a killed run are never trusted
        foreach (var s in order)
            _steps[s.Name] = new StepOutcome { Name = s.Name, Kind = s.Kind, OutputDir = Path.Combine(StepsDir, s.Name), LogPath = Path.Combine(LogsDir, s.Name + ".log") };
        _runId = options.Registry?.StartPipelineRun(pipeline, options.ToolVersion, options.Executor.Name, order) ?? 0;
        WriteStatus("running");

        var running = new Dictionary<Task, StepDefinition>();
        int usedThreads = 0;
        long usedMemory = 0;
        bool interrupted = false;
        try
        {
            while (true)
            {
                bool progressed = true;
                while (progressed && !cancellationToken.IsCancellationRequested)
                {
                    progressed = false;
                    foreach (var s in order)
                    {
                        var o = _steps[s.Name];
                        if (o.Status != StepStatus.Pending) continue;
                        if (s.Needs.Any(n => _steps[n].Status is StepStatus.Failed or StepStatus.Skipped))
                        {
                            o.Status = StepStatus.Skipped;
                            options.Log($"{s.Name}: skipped (a step it needs failed)");
                            Record(s, o);
                            progressed = true;
                            continue;
                        }
                        if (!s.Needs.All(n => _steps[n].Status is StepStatus.Succeeded or StepStatus.Cached)) continue;
                        var (argv, key) = Plan(s);
                        o.Key = key;
                        var manifest = StepManifest.TryRead(o.OutputDir);
                        if (!options.Force.Contains(s.Name) && manifest != null && manifest.Key == key)
                        {
                            o.Status = StepStatus.Cached;
                            o.OutputHash = manifest.OutputHash;
                            options.Log($"{s.Name}: cached");
                            Record(s, o);
                            options.Registry?.RecordOutputs(_runId, s, o);
                            progressed = true;
                            continue;
                        }
                        // Resources: a step starts when it fits in what is left; a step alone always fits (validated).
                        bool fits = running.Count == 0 || (usedThreads + s.Threads <= pipeline.Threads
                            && (pipeline.MemoryBytes == 0 || usedMemory + s.MemoryBytes <= pipeline.MemoryBytes));
                        if (!fits) continue;
                        usedThreads += s.Threads;
                        usedMemory += s.MemoryBytes;
                        o.Status = StepStatus.Running;
                        o.Started = DateTimeOffset.UtcNow;
                        options.Log($"{s.Name}: running ({s.Kind}, {s.Threads} thread(s){(s.MemoryBytes > 0 ? ", " + ByteSize.Format(s.MemoryBytes) : "")})");
                        Record(s, o);
                        running[RunStepAsync(s, o, argv, key, cancellationToken)] = s;
                        progressed = true;
                    }
                    if (progressed) WriteStatus("running");
                }
                if (running.Count == 0) break;
                var done = await Task.WhenAny(running.Keys);
                var step = running[done];
                running.Remove(done);
                usedThreads -= step.Threads;
                usedMemory -= step.MemoryBytes;
                if (done.IsCanceled || (done.IsFaulted && done.Exception!.InnerException is OperationCanceledException)) interrupted = true;
                else if (done.IsFaulted) throw done.Exception!.InnerException!;
                WriteStatus("running");
            }
        }
        catch (OperationCanceledException) { interrupted = true; }
        interrupted |= cancellationToken.IsCancellationRequested;
        foreach (var o in _steps.Values.Where(o => o.Status is StepStatus.Pending or StepStatus.Running))
        {
            o.Status = StepStatus.Skipped;
            Record(pipeline[o.Name], o);
        }
        bool ok = !interrupted && _steps.Values.All(o => o.Status is StepStatus.Succeeded or StepStatus.Cached);
        string final = interrupted ? "interrupted" : ok ? "succeeded" : "failed";
        WriteStatus(final);
        options.Registry?.FinishRun(_runId, final);
        if (interrupted) throw new OperationCanceledException(cancellationToken);
        return ok;
    }

    public long RunId => _runId;

    /// <summary>The step's command line (with <c>${out}</c> unresolved) and its cache key.</summary>
    public (IReadOnlyList<string> Argv, string Key) Plan(StepDefinition s)
    {
        var kind = StepKinds.Find(s.Kind)!;
        var resolved = Resolve(s, kind);
        var argv = kind.Build(resolved, v => v);
        var key = new StringBuilder();
        key.Append("tool\0").Append(options.ToolVersion).Append('\n');
        key.Append("kind\0").Append(s.Kind).Append('\n');
        foreach (var a in argv) key.Append("arg\0").Append(a).Append('\n');
        foreach (var (k, v) in s.Env.OrderBy(kv => kv.Key, StringComparer.Ordinal)) key.Append("env\0").Append(k).Append('=').Append(v).Append('\n');
        foreach (var n in s.Needs.Order(StringComparer.Ordinal)) key.Append("need\0").Append(n).Append('=').Append(_steps[n].OutputHash).Append('\n');
        // Inputs outside the work folder: their contents (inside it, the needs' output hashes already cover them).
        var paths = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (_, path, _) in PipelineValidator.StaticInputs(pipeline, s)) paths.Add(path);
        foreach (var key2 in kind.PathSettings)
            if (resolved.Settings.TryGetValue(key2, out var v)) paths.Add(v.Value);
        foreach (var i in s.Inputs) paths.Add(Substitute(i, absolute: true));
        if (s.Kind == "train" && resolved.Setting("config") is { } cfg)
            foreach (var (_, p) in PipelineValidator.TrainConfigPaths(cfg)) paths.Add(p);
        var work = pipeline.WorkDir + Path.DirectorySeparatorChar;
        foreach (var p in paths.Where(p => !p.StartsWith(work, StringComparison.Ordinal)))
            key.Append("input\0").Append(p).Append('=').Append(ContentHasher.HashPath(p)).Append('\n');
        var allArgs = kind.Verb != null ? options.Tool.Concat(argv).ToList() : argv.ToList();
        return (allArgs, ContentHasher.HashText(key.ToString()));
    }

    /// <summary>Settings with <c>${steps.X.out}</c> substituted and path settings made absolute.</summary>
    private StepDefinition Resolve(StepDefinition s, StepKind kind)
    {
        var settings = new Dictionary<string, StepSetting>(StringComparer.Ordinal);
        foreach (var (k, v) in s.Settings)
        {
            bool isPath = kind.PathSettings.Contains(k);
            var pairs = v.Pairs?.Select(kv => new KeyValuePair<string, string>(kv.Key, Substitute(kv.Value, s.Kind == "train" && StepKinds.IsPathOverride(kv.Key)))).ToList();
            settings[k] = new StepSetting(Substitute(v.Value, isPath), v.Line, v.Items?.Select(i => Substitute(i, false)).ToList(), pairs);
        }
        return new StepDefinition
        {
            Name = s.Name, Kind = s.Kind, Line = s.Line, Needs = s.Needs, Settings = settings, Inputs = s.Inputs,
            Run = s.Run == null ? null : Substitute(s.Run, false), Threads = s.Threads, MemoryBytes = s.MemoryBytes, Env = s.Env,
        };
    }

    private string Substitute(string text, bool absolute)
    {
        var t = PipelineParser.StepReference().Replace(text, m => Path.Combine(StepsDir, m.Groups[1].Value));
        t = t.Replace("${pipeline_dir}", pipeline.BaseDir, StringComparison.Ordinal);
        return absolute && !t.Contains(StepKinds.Out, StringComparison.Ordinal) ? Path.GetFullPath(Path.Combine(pipeline.BaseDir, t)) : t;
    }

    private async Task RunStepAsync(StepDefinition s, StepOutcome o, IReadOnlyList<string> argvTemplate, string key, CancellationToken ct)
    {
        await Task.Yield();
        for (int attempt = 1; ; attempt++)
        {
            o.Attempts = attempt;
            var tmp = Path.Combine(TmpDir, $"{s.Name}-{Guid.NewGuid():N}");
            Directory.CreateDirectory(tmp);
            o.LiveDir = tmp;
            Record(s, o);
            var argv = argvTemplate.Select(a => a.Replace(StepKinds.Out, tmp, StringComparison.Ordinal)).ToList();
            var env = new Dictionary<string, string>(s.Env, StringComparer.Ordinal)
            {
                ["OUT"] = tmp,
                ["STEP_NAME"] = s.Name,
                ["STEP_ATTEMPT"] = attempt.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["PIPELINE_DIR"] = pipeline.BaseDir,
                ["TUNESHARP_PIPELINE_RUN"] = _runId.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["TUNESHARP_THREADS"] = s.Threads.ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
            File.AppendAllText(o.LogPath, $"=== {s.Name} attempt {attempt} at {DateTimeOffset.UtcNow:O}: {string.Join(' ', argv.Select(Quote))}\n");
            var started = DateTimeOffset.UtcNow;
            int exit;
            using (var sync = options.Registry != null ? new Timer(_ => SyncLive(s, o), null, 1000, 1000) : null)
                exit = await options.Executor.RunAsync(new StepJob(s.Name, argv, env, pipeline.BaseDir, o.LogPath, s.Threads, s.MemoryBytes, s.Timeout), ct);
            o.ExitCode = exit;
            if (exit == 0)
            {
                var outputHash = ContentHasher.HashPath(tmp);
                new StepManifest(s.Name, s.Kind, key, outputHash, DateTimeOffset.UtcNow, (DateTimeOffset.UtcNow - started).TotalSeconds).Write(tmp);
                Commit(tmp, o.OutputDir);
                o.LiveDir = null;
                o.OutputHash = outputHash;
                o.Status = StepStatus.Succeeded;
                o.Ended = DateTimeOffset.UtcNow;
                options.Log($"{s.Name}: succeeded in {(o.Ended - o.Started)!.Value.TotalSeconds:0.0} s");
                Record(s, o);
                options.Registry?.RecordOutputs(_runId, s, o);
                return;
            }
            TryDelete(tmp);
            File.AppendAllText(o.LogPath, $"=== {s.Name} attempt {attempt} exited with code {exit}\n");
            if (attempt > s.Retries)
            {
                o.Status = StepStatus.Failed;
                o.Ended = DateTimeOffset.UtcNow;
                o.LiveDir = null;
                options.Log($"{s.Name}: failed (exit code {exit}, {attempt} attempt(s)); log: {o.LogPath}");
                Record(s, o);
                return;
            }
            var delay = s.RetryDelay * Math.Pow(2, attempt - 1);
            options.Log($"{s.Name}: exit code {exit}; retry {attempt}/{s.Retries} in {delay.TotalSeconds:0.#} s");
            await Task.Delay(delay, ct);
        }
    }

    private static string Quote(string a) => a.Length > 0 && a.All(c => char.IsLetterOrDigit(c) || "-_./=:,+@%".Contains(c)) ? a : "'" + a.Replace("'", "'\\''") + "'";

    /// <summary>Replaces <paramref name="target"/> by <paramref name="tmp"/> with renames only: a crash leaves old, none or new.</summary>
    private void Commit(string tmp, string target)
    {
        if (Directory.Exists(target))
        {
            var trash = Path.Combine(TmpDir, $"old-{Path.GetFileName(target)}-{Guid.NewGuid():N}");
            Directory.Move(target, trash);
            Directory.Move(tmp, target);
            TryDelete(trash);
        }
        else Directory.Move(tmp, target);
    }

    private void SyncLive(StepDefinition s, StepOutcome o)
    {
        try { if (o.LiveDir is { } d) options.Registry?.SyncMetrics(_runId, s.Name, Path.Combine(d, "metrics.jsonl")); }
        catch (Exception e) when (e is IOException or Microsoft.Data.Sqlite.SqliteException) { } // live curves are best effort; the final sync is not
    }

    private void Record(StepDefinition s, StepOutcome o)
    {
        lock (_gate) options.Registry?.RecordStep(_runId, s, o);
    }

    private void WriteStatus(string state)
    {
        lock (_gate)
        {
            var doc = new Dictionary<string, object?>
            {
                ["pipeline"] = pipeline.Name,
                ["run_id"] = _runId,
                ["state"] = state,
                ["updated"] = DateTimeOffset.UtcNow,
                ["steps"] = _steps.Values.ToDictionary(o => o.Name, o => new Dictionary<string, object?>
                {
                    ["kind"] = o.Kind, ["status"] = o.Status.ToString().ToLowerInvariant(), ["attempts"] = o.Attempts,
                    ["started"] = o.Started, ["ended"] = o.Ended, ["exit_code"] = o.ExitCode, ["log"] = o.LogPath,
                }),
            };
            AtomicFile.WriteAllText(Path.Combine(pipeline.WorkDir, "status.json"), JsonSerializer.Serialize(doc, Json));
        }
    }

    private FileStream AcquireLock()
    {
        var path = Path.Combine(pipeline.WorkDir, ".lock");
        try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
        catch (IOException)
        {
            throw new PipelineException($"{pipeline.WorkDir}: another `pipeline run` is using this work folder; wait for it or stop it", ExitCode.Output);
        }
    }

    private static void TryDelete(string dir)
    {
        try { Directory.Delete(dir, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
