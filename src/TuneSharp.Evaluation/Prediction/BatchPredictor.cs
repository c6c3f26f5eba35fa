// Batched prediction over a test set with continuous batching (the Inference scheduler driven in-process): a fixed
// number of KV rows, finished sequences leave and waiting prompts join; output appended line by line and resumable.
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TuneSharp.Inference;
using TuneSharp.Inference.Scheduling;
using TuneSharp.Tensors.IO;

namespace TuneSharp.Evaluation.Prediction;

/// <summary>
/// Runs <see cref="BatchScheduler"/> with <see cref="PredictOptions.BatchSize"/> KV rows over the rows still to do.
/// Each row decodes exactly as it would alone (the scheduler prefills it solo and copies its cache row in), and a
/// sampled row i uses seed + i, so results do not depend on the batch size, the admission order or resuming.
/// <see cref="RunAsync"/> appends each finished row to the output as one JSON line (flushed), skips rows whose id (or
/// index) the output already holds, and when every row is done rewrites the file in input order (atomically).
/// </summary>
public sealed class BatchPredictor(Generator generator, PromptBuilder prompts, PredictOptions? options = null)
{
    public Generator Generator { get; } = generator ?? throw new ArgumentNullException(nameof(generator));

    public PromptBuilder Prompts { get; } = prompts ?? throw new ArgumentNullException(nameof(prompts));

    public PredictOptions Options { get; } = options ?? new PredictOptions();

    /// <summary>Reads a JSONL test set (one object per non-empty line) into prompts.</summary>
    public IReadOnlyList<PredictionPrompt> ReadInput(string path)
    {
        if (!File.Exists(path)) throw new EvaluationInputException($"{path}: input file not found");
        var rows = new List<PredictionPrompt>();
        var keys = new Dictionary<string, int>(StringComparer.Ordinal);
        int lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonNode? node;
            try { node = JsonNode.Parse(line); }
            catch (JsonException e) { throw new EvaluationInputException($"{path}:{lineNo}: invalid JSON ({e.Message.Split('.')[0]}); each line must be one JSON object"); }
            if (node is not JsonObject o) throw new EvaluationInputException($"{path}:{lineNo}: expected a JSON object (messages, instruction, prompt or question)");
            var p = Prompts.Build(o, rows.Count, $"{path}:{lineNo}");
            if (keys.TryGetValue(p.Key, out var first))
                throw new EvaluationInputException($"{path}:{lineNo}: id \"{p.Key}\" repeats row {first + 1}; ids must be unique (resuming matches rows by id)");
            keys[p.Key] = rows.Count;
            rows.Add(p);
        }
        if (rows.Count == 0) throw new EvaluationInputException($"{path}: no rows");
        return rows;
    }

    /// <summary>
    /// Predicts every input row not yet in <paramref name="outputPath"/>. Cancellation stops after the rows in flight are
    /// dropped; what was written stays, and a rerun resumes.
    /// </summary>
    public async Task<PredictSummary> RunAsync(string inputPath, string outputPath, IProgress<PredictProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        Options.Validate();
        var rows = ReadInput(inputPath);
        var done = ReadDone(outputPath);
        var todo = rows.Where(r => !done.Contains(r.Key)).ToList();
        int skipped = rows.Count - todo.Count;
        var dir = Path.GetDirectoryName(Path.GetFullPath(outputPath));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        PredictSummary summary;
        await using (var writer = new StreamWriter(new FileStream(outputPath, FileMode.Append, FileAccess.Write, FileShare.Read), new UTF8Encoding(false)) { NewLine = "\n" })
        {
            summary = await PredictAsync(todo, row =>
            {
                writer.WriteLine(row.ToJsonLine());
                writer.Flush();
            }, progress, skipped, cancellationToken).ConfigureAwait(false);
        }
        summary = summary with { Rows = rows.Count, Skipped = skipped };
        if (summary.Completed) SortByIndex(outputPath);
        return summary;
    }

    /// <summary>
    /// Generates <paramref name="rows"/> with continuous batching; <paramref name="onRow"/> gets each row as it finishes
    /// (in completion order). Returns after every row finished or on cancellation (then <see cref="PredictSummary.Completed"/> is false).
    /// </summary>
    public async Task<PredictSummary> PredictAsync(IReadOnlyList<PredictionPrompt> rows, Action<PredictedRow> onRow, IProgress<PredictProgress>? progress = null,
        int skipped = 0, CancellationToken cancellationToken = default)
    {
        Options.Validate();
        var clock = Stopwatch.StartNew();
        long promptTokens = 0, generatedTokens = 0;
        if (rows.Count == 0)
        {
            progress?.Report(new PredictProgress(0, 0, skipped, 0, clock.Elapsed));
            return new PredictSummary(0, skipped, 0, 0, 0, clock.Elapsed, true);
        }
        var gen = Options.Generation;
        int context = Context(rows);
        var scheduler = new BatchScheduler(Generator, new SchedulerOptions
        {
            MaxBatch = Options.BatchSize,
            MaxContext = context,
            CacheCapacity = context + Math.Max(16, context / 4),
            QueueCapacity = Math.Max(2, 2 * Options.BatchSize),
        });
        int finished = 0;
        bool completed = true;
        try
        {
            // Keep the scheduler's queue topped up to one batch beyond its rows, so a freed row is refilled at the next step.
            var inFlight = new Dictionary<Task<SequenceResult>, PredictionPrompt>();
            int next = 0;
            progress?.Report(new PredictProgress(0, rows.Count, skipped, 0, clock.Elapsed));
            while (finished < rows.Count)
            {
                while (next < rows.Count && inFlight.Count < 2 * Options.BatchSize && !cancellationToken.IsCancellationRequested)
                {
                    var p = rows[next++];
                    var o = gen with { Seed = gen.Seed is { } s ? unchecked(s + p.Index) : null };
                    inFlight[scheduler.Submit(new SequenceRequest(p.PromptIds, o) { CancellationToken = cancellationToken }).Completion] = p;
                }
                if (inFlight.Count == 0) { completed = false; break; }
                var t = await Task.WhenAny(inFlight.Keys).ConfigureAwait(false);
                var prompt = inFlight[t];
                inFlight.Remove(t);
                var r = await t.ConfigureAwait(false);
                if (r.Cancelled) { completed = false; continue; }
                finished++;
                promptTokens += prompt.PromptIds.Length;
                generatedTokens += r.GeneratedIds.Length;
                onRow(new PredictedRow(prompt, r.Text, r.FinishReason!.Value, r.GeneratedIds.Length));
                progress?.Report(new PredictProgress(finished, rows.Count, skipped, generatedTokens, clock.Elapsed));
            }
        }
        finally
        {
            await scheduler.StopAsync().ConfigureAwait(false);
            scheduler.Dispose();
        }
        if (cancellationToken.IsCancellationRequested && finished < rows.Count) completed = false;
        return new PredictSummary(rows.Count + skipped, skipped, finished, promptTokens, generatedTokens, clock.Elapsed, completed);
    }

    /// <summary>Generates every row and returns the results in input order (training-time evaluation, tests).</summary>
    public async Task<IReadOnlyList<PredictedRow>> PredictAllAsync(IReadOnlyList<PredictionPrompt> rows, CancellationToken cancellationToken = default)
    {
        var results = new List<PredictedRow>(rows.Count);
        await PredictAsync(rows, results.Add, null, 0, cancellationToken).ConfigureAwait(false);
        return [.. results.OrderBy(r => r.Prompt.Index)];
    }

    private int Context(IReadOnlyList<PredictionPrompt> rows)
    {
        int maxNew = Options.Generation.MaxNewTokens;
        int limit = Options.MaxContext ?? (Generator.Model.Config.MaxPositionEmbeddings > 0 ? Generator.Model.Config.MaxPositionEmbeddings : int.MaxValue);
        foreach (var r in rows)
            if (r.PromptIds.Length + maxNew > limit)
                throw new EvaluationInputException($"row {r.Index + 1} (id {r.Key}): {r.PromptIds.Length} prompt tokens + max_new_tokens {maxNew} exceed the context of {limit} tokens; " +
                    "lower --max-new-tokens or shorten the prompt", ExitCode.Usage);
        return Math.Max(2, Options.MaxContext ?? rows.Max(r => r.PromptIds.Length) + maxNew);
    }

    /// <summary>
    /// Keys (id, else index) of the rows already in the output. A torn last line (a run killed mid-write) is cut off so
    /// appending continues on a clean line; any other unreadable line is an error naming it.
    /// </summary>
    internal static HashSet<string> ReadDone(string outputPath)
    {
        var done = new HashSet<string>(StringComparer.Ordinal);
        if (!File.Exists(outputPath)) return done;
        var bytes = File.ReadAllBytes(outputPath);
        int end = bytes.Length;
        if (end > 0 && bytes[end - 1] != (byte)'\n')
        {
            // The tail after the last newline was never finished: drop it.
            int cut = Array.LastIndexOf(bytes, (byte)'\n') + 1;
            using (var fs = new FileStream(outputPath, FileMode.Open, FileAccess.Write)) fs.SetLength(cut);
            end = cut;
        }
        int lineNo = 0;
        foreach (var line in Encoding.UTF8.GetString(bytes, 0, end).Split('\n'))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonObject? o;
            try { o = JsonNode.Parse(line) as JsonObject; }
            catch (JsonException) { o = null; }
            if (o?["index"] is not JsonValue iv || !iv.TryGetValue<int>(out var index))
                throw new EvaluationInputException($"{outputPath}:{lineNo}: not a prediction row (no \"index\"); the output must be a file written by `tunesharp predict` — move it away or pick another --output", ExitCode.Output);
            done.Add(o["id"] is JsonValue idv && idv.GetValueKind() == JsonValueKind.String ? idv.GetValue<string>() : o["id"]?.ToJsonString() ?? index.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        return done;
    }

    /// <summary>Rewrites the finished output in input order (rows were appended in completion order).</summary>
    private static void SortByIndex(string outputPath)
    {
        var lines = File.ReadAllLines(outputPath).Where(l => !string.IsNullOrWhiteSpace(l))
            .Select(l => (Index: JsonNode.Parse(l)!["index"]!.GetValue<int>(), Line: l))
            .OrderBy(x => x.Index).Select(x => x.Line).ToList();
        AtomicFile.WriteLines(outputPath, lines);
    }
}
