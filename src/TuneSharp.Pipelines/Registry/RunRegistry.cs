// The run registry: an embedded SQLite database of runs, steps, parameters, metrics over time, artifacts and eval reports.
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using TuneSharp.Pipelines.Model;
using TuneSharp.Pipelines.Running;

namespace TuneSharp.Pipelines.Registry;

/// <summary>
/// One connection per call (pooled), WAL journal and a busy timeout, so the pipeline runner, a training run started on its
/// own and the dashboard can use one database file at once.
/// </summary>
public sealed class RunRegistry
{
    private const string Schema = """
        PRAGMA journal_mode=WAL;
        CREATE TABLE IF NOT EXISTS runs(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL,
            source TEXT, work_dir TEXT, executor TEXT, tool_version TEXT, started TEXT NOT NULL, ended TEXT);
        CREATE TABLE IF NOT EXISTS steps(run_id INTEGER NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
            cached INTEGER NOT NULL DEFAULT 0, started TEXT, ended TEXT, log_path TEXT, output_dir TEXT, needs TEXT NOT NULL DEFAULT '[]', cache_key TEXT,
            exit_code INTEGER, ord INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(run_id, name));
        CREATE TABLE IF NOT EXISTS params(run_id INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY(run_id, key));
        CREATE TABLE IF NOT EXISTS metrics(id INTEGER PRIMARY KEY AUTOINCREMENT, run_id INTEGER NOT NULL, step TEXT NOT NULL, name TEXT NOT NULL,
            train_step INTEGER NOT NULL, value REAL NOT NULL, UNIQUE(run_id, step, name, train_step));
        CREATE TABLE IF NOT EXISTS artifacts(run_id INTEGER NOT NULL, step TEXT NOT NULL, path TEXT NOT NULL, bytes INTEGER NOT NULL, hash TEXT NOT NULL,
            PRIMARY KEY(run_id, step, path));
        CREATE TABLE IF NOT EXISTS eval_reports(run_id INTEGER NOT NULL, step TEXT NOT NULL, path TEXT NOT NULL, summary TEXT NOT NULL, plots TEXT NOT NULL,
            PRIMARY KEY(run_id, step));
        """;

    private readonly string _connectionString;

    public RunRegistry(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = Path, DefaultTimeout = 30, Pooling = true }.ToString();
        using var c = Open();
        Exec(c, Schema);
    }

    public string Path { get; }

    /// <summary>TUNESHARP_REGISTRY, else ~/.tunesharp/registry.db.</summary>
    public static string DefaultPath =>
        Environment.GetEnvironmentVariable("TUNESHARP_REGISTRY") is { Length: > 0 } p ? p
            : System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".tunesharp", "registry.db");

    private SqliteConnection Open()
    {
        var c = new SqliteConnection(_connectionString);
        c.Open();
        return c;
    }

    private static int Exec(SqliteConnection c, string sql, params (string Name, object? Value)[] args)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (n, v) in args) cmd.Parameters.AddWithValue(n, v ?? DBNull.Value);
        return cmd.ExecuteNonQuery();
    }

    private static string Now() => DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);

    private static string? Time(DateTimeOffset? t) => t?.ToString("O", CultureInfo.InvariantCulture);

    public long StartPipelineRun(PipelineDefinition p, string toolVersion, string executor, IReadOnlyList<StepDefinition> order)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        long id = Insert(c, p.Name, "pipeline", p.SourcePath, p.WorkDir, executor, toolVersion);
        int ord = 0;
        foreach (var s in order)
        {
            Exec(c, "INSERT INTO steps(run_id,name,kind,status,needs,ord,log_path,output_dir) VALUES($r,$n,$k,'pending',$needs,$o,$log,$out)",
                ("$r", id), ("$n", s.Name), ("$k", s.Kind), ("$needs", JsonSerializer.Serialize(s.Needs)), ("$o", ord++),
                ("$log", System.IO.Path.Combine(p.WorkDir, "logs", s.Name + ".log")), ("$out", System.IO.Path.Combine(p.WorkDir, "steps", s.Name)));
            foreach (var (k, v) in s.Settings) SetParam(c, id, $"{s.Name}.{k}", v.Value);
            if (s.Run != null) SetParam(c, id, $"{s.Name}.run", s.Run);
        }
        tx.Commit();
        return id;
    }

    private static long Insert(SqliteConnection c, string name, string kind, string? source, string? workDir, string? executor, string? toolVersion)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = "INSERT INTO runs(name,kind,status,source,work_dir,executor,tool_version,started) VALUES($n,$k,'running',$s,$w,$e,$t,$st); SELECT last_insert_rowid();";
        cmd.Parameters.AddWithValue("$n", name);
        cmd.Parameters.AddWithValue("$k", kind);
        cmd.Parameters.AddWithValue("$s", (object?)source ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$w", (object?)workDir ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$e", (object?)executor ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$t", (object?)toolVersion ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$st", Now());
        return (long)cmd.ExecuteScalar()!;
    }

    private static void SetParam(SqliteConnection c, long run, string key, string value) =>
        Exec(c, "INSERT OR REPLACE INTO params(run_id,key,value) VALUES($r,$k,$v)", ("$r", run), ("$k", key), ("$v", value));

    public void RecordStep(long run, StepDefinition s, StepOutcome o)
    {
        if (run == 0) return;
        using var c = Open();
        Exec(c, "UPDATE steps SET status=$st, attempts=$a, cached=$c, started=$s, ended=$e, cache_key=$key, exit_code=$x WHERE run_id=$r AND name=$n",
            ("$st", o.Status.ToString().ToLowerInvariant()), ("$a", o.Attempts), ("$c", o.Status == StepStatus.Cached ? 1 : 0), ("$s", Time(o.Started)),
            ("$e", Time(o.Ended)), ("$key", o.Key), ("$x", o.ExitCode), ("$r", run), ("$n", s.Name));
    }

    /// <summary>After a step committed: its files, its metrics.jsonl and its report.json (an eval report) if present.</summary>
    public void RecordOutputs(long run, StepDefinition s, StepOutcome o)
    {
        if (run == 0) return;
        RecordArtifacts(run, s.Name, o.OutputDir);
        SyncMetrics(run, s.Name, System.IO.Path.Combine(o.OutputDir, "metrics.jsonl"));
        RecordReport(run, s.Name, o.OutputDir);
    }

    public void RecordArtifacts(long run, string step, string folder)
    {
        if (!Directory.Exists(folder)) return;
        using var c = Open();
        using var tx = c.BeginTransaction();
        foreach (var f in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(ContentHasher.ManifestName, StringComparison.Ordinal)).Take(500))
            Exec(c, "INSERT OR REPLACE INTO artifacts(run_id,step,path,bytes,hash) VALUES($r,$s,$p,$b,$h)",
                ("$r", run), ("$s", step), ("$p", f), ("$b", new FileInfo(f).Length), ("$h", ContentHasher.HashFile(f)));
        tx.Commit();
    }

    private void RecordReport(long run, string step, string folder)
    {
        var report = System.IO.Path.Combine(folder, "report.json");
        if (!File.Exists(report)) return;
        var plots = Directory.EnumerateFiles(folder, "*.png", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        using var c = Open();
        Exec(c, "INSERT OR REPLACE INTO eval_reports(run_id,step,path,summary,plots) VALUES($r,$s,$p,$j,$pl)",
            ("$r", run), ("$s", step), ("$p", report), ("$j", File.ReadAllText(report)), ("$pl", JsonSerializer.Serialize(plots)));
    }

    /// <summary>Adds the rows of a trainer's metrics.jsonl not yet recorded (one metric per numeric field, keyed by "step").</summary>
    public int SyncMetrics(long run, string step, string metricsPath)
    {
        if (run == 0 || !File.Exists(metricsPath)) return 0;
        var lines = new List<string>();
        using (var reader = new StreamReader(new FileStream(metricsPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete)))
            while (reader.ReadLine() is { } line) lines.Add(line);
        using var c = Open();
        using var tx = c.BeginTransaction();
        int added = 0;
        foreach (var line in lines)
        {
            JsonObject? row;
            try { row = JsonNode.Parse(line) as JsonObject; }
            catch (JsonException) { continue; } // the last line of a live file may be half written
            if (row == null || row["step"] is not JsonValue sv || !sv.TryGetValue(out long trainStep)) continue;
            foreach (var (name, value) in row)
            {
                if (name is "step" or "epoch" || value is not JsonValue v || !v.TryGetValue(out double d) || !double.IsFinite(d)) continue;
                added += Exec(c, "INSERT OR IGNORE INTO metrics(run_id,step,name,train_step,value) VALUES($r,$s,$n,$t,$v)",
                    ("$r", run), ("$s", step), ("$n", name), ("$t", trainStep), ("$v", d));
            }
        }
        tx.Commit();
        return added;
    }

    public void FinishRun(long run, string status)
    {
        if (run == 0) return;
        using var c = Open();
        Exec(c, "UPDATE runs SET status=$s, ended=$e WHERE id=$r", ("$s", status), ("$e", Now()), ("$r", run));
    }

    /// <summary>A training run started on its own (`tunesharp train`): one step "train" whose output is the run's output_dir.</summary>
    public long StartTrainingRun(string name, string outputDir, IEnumerable<KeyValuePair<string, string>> parameters, string toolVersion)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        long id = Insert(c, name, "train", null, outputDir, "local", toolVersion);
        Exec(c, "INSERT INTO steps(run_id,name,kind,status,attempts,started,output_dir,needs) VALUES($r,'train','train','running',1,$s,$o,'[]')",
            ("$r", id), ("$s", Now()), ("$o", outputDir));
        foreach (var (k, v) in parameters) SetParam(c, id, k, v);
        tx.Commit();
        return id;
    }

    public void FinishTrainingRun(long run, string status, string outputDir)
    {
        SyncMetrics(run, "train", System.IO.Path.Combine(outputDir, "metrics.jsonl"));
        RecordArtifacts(run, "train", outputDir);
        using var c = Open();
        Exec(c, "UPDATE steps SET status=$s, ended=$e WHERE run_id=$r AND name='train'", ("$s", status), ("$e", Now()), ("$r", run));
        Exec(c, "UPDATE runs SET status=$s, ended=$e WHERE id=$r", ("$s", status), ("$e", Now()), ("$r", run));
    }

    public IReadOnlyList<RunRow> ListRuns(int limit = 50)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT id,name,kind,status,source,work_dir,executor,started,ended FROM runs ORDER BY id DESC LIMIT $l";
        cmd.Parameters.AddWithValue("$l", limit);
        using var r = cmd.ExecuteReader();
        var list = new List<RunRow>();
        while (r.Read()) list.Add(ReadRun(r));
        return list;
    }

    private static RunRow ReadRun(SqliteDataReader r) => new(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3),
        r.IsDBNull(4) ? null : r.GetString(4), r.IsDBNull(5) ? null : r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6),
        DateTimeOffset.Parse(r.GetString(7), CultureInfo.InvariantCulture), r.IsDBNull(8) ? null : DateTimeOffset.Parse(r.GetString(8), CultureInfo.InvariantCulture));

    public RunDetail? GetRun(long id)
    {
        using var c = Open();
        RunRow? run = null;
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT id,name,kind,status,source,work_dir,executor,started,ended FROM runs WHERE id=$i";
            cmd.Parameters.AddWithValue("$i", id);
            using var r = cmd.ExecuteReader();
            if (r.Read()) run = ReadRun(r);
        }
        if (run == null) return null;
        var steps = Query(c, "SELECT name,kind,status,attempts,cached,started,ended,log_path,output_dir,needs,exit_code FROM steps WHERE run_id=$i ORDER BY ord, name", id,
            r => new StepRow(r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt32(3), r.GetInt32(4) == 1,
                r.IsDBNull(5) ? null : DateTimeOffset.Parse(r.GetString(5), CultureInfo.InvariantCulture),
                r.IsDBNull(6) ? null : DateTimeOffset.Parse(r.GetString(6), CultureInfo.InvariantCulture),
                r.IsDBNull(7) ? null : r.GetString(7), r.IsDBNull(8) ? null : r.GetString(8),
                JsonSerializer.Deserialize<List<string>>(r.GetString(9)) ?? [], r.IsDBNull(10) ? null : r.GetInt32(10)));
        var ps = Query(c, "SELECT key,value FROM params WHERE run_id=$i ORDER BY key", id, r => new KeyValuePair<string, string>(r.GetString(0), r.GetString(1)));
        var metrics = Metrics(c, id, 0);
        var arts = Query(c, "SELECT step,path,bytes,hash FROM artifacts WHERE run_id=$i ORDER BY step, path", id, r => new ArtifactRow(r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetString(3)));
        var reports = Query(c, "SELECT step,path,summary,plots FROM eval_reports WHERE run_id=$i ORDER BY step", id,
            r => new EvalReportRow(r.GetString(0), r.GetString(1), r.GetString(2), JsonSerializer.Deserialize<List<string>>(r.GetString(3)) ?? []));
        return new RunDetail(run, steps, ps, metrics, arts, reports);
    }

    /// <summary>Metrics of a run recorded after row <paramref name="afterRowId"/> (for live curves).</summary>
    public IReadOnlyList<MetricRow> MetricsSince(long run, long afterRowId)
    {
        using var c = Open();
        return Metrics(c, run, afterRowId);
    }

    private static List<MetricRow> Metrics(SqliteConnection c, long run, long after)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT id,step,name,train_step,value FROM metrics WHERE run_id=$i AND id>$a ORDER BY id";
        cmd.Parameters.AddWithValue("$i", run);
        cmd.Parameters.AddWithValue("$a", after);
        using var r = cmd.ExecuteReader();
        var list = new List<MetricRow>();
        while (r.Read()) list.Add(new MetricRow(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetInt64(3), r.GetDouble(4)));
        return list;
    }

    private static List<T> Query<T>(SqliteConnection c, string sql, long id, Func<SqliteDataReader, T> read)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.Parameters.AddWithValue("$i", id);
        using var r = cmd.ExecuteReader();
        var list = new List<T>();
        while (r.Read()) list.Add(read(r));
        return list;
    }
}
