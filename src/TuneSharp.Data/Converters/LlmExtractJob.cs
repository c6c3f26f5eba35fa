// Runs the LLM Q/A extractor over documents into a JSONL file, appending each chunk's rows as it finishes; resumable.
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using TuneSharp.Tensors.IO;

namespace TuneSharp.Data.Converters;

/// <summary>
/// Output: <c>out.jsonl</c> gets each finished chunk's rows (with <c>chunk_id</c>, the chunk text's hash) as complete
/// lines, appended and flushed at once; then <c>out.jsonl.progress</c> gets one line <c>{"chunk_id":…}</c> — the
/// commit record. A rerun skips committed chunks, drops rows of a chunk that never committed (killed between the two
/// appends) and a torn last line, and retries chunks that failed. Progress goes to <c>progress</c>: chunk i/n,
/// elapsed time and an ETA from this run's pace.
/// </summary>
public static class LlmExtractJob
{
    public const string ProgressSuffix = ".progress";

    private static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static async Task<LlmExtractSummary> RunAsync(LlmQaExtractor extractor, IReadOnlyList<(string Source, string Text)> documents, string outputPath,
        Action<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(extractor);
        ArgumentNullException.ThrowIfNull(documents);
        var chunks = documents.SelectMany(d => LlmQaExtractor.Chunk(d.Text, extractor.Options.ChunkChars).Select(c => (d.Source, Text: c, Id: LlmQaExtractor.ChunkId(c)))).ToList();
        string progressPath = outputPath + ProgressSuffix;
        var done = Recover(outputPath, progressPath, out int rowsKept);
        int resumed = chunks.Count(c => done.Contains(c.Id));
        int todo = chunks.Count - resumed;
        if (resumed > 0)
            progress?.Invoke($"resuming: {resumed} of {chunks.Count} chunks are already in {outputPath} ({rowsKept} rows); {todo} to go");
        if (todo == 0) return new LlmExtractSummary(chunks.Count, resumed, 0, 0, 0, rowsKept, progressPath);

        var failures = new LlmFailureCounter(extractor.Options.MaxConsecutiveFailures);
        var clock = Stopwatch.StartNew();
        int attempted = 0, written = 0, doneNow = 0;
        try
        {
            using var output = OpenAppend(outputPath);
            using var commits = OpenAppend(progressPath);
            for (int i = 0; i < chunks.Count; i++)
            {
                var (source, text, id) = chunks[i];
                if (done.Contains(id)) continue;
                attempted++;
                string where = $"chunk {i + 1}/{chunks.Count} ({Path.GetFileName(source)})";
                var pairs = await extractor.TryChunkAsync(text, where, failures, cancellationToken).ConfigureAwait(false);
                if (pairs != null)
                {
                    var lines = new StringBuilder();
                    foreach (var (q, a) in pairs) lines.Append(LlmQaExtractor.Row(q, a, source, id).ToJsonString(Compact)).Append('\n');
                    Append(output, lines.ToString());
                    Append(commits, new JsonObject { ["chunk_id"] = id, ["source"] = source, ["pairs"] = pairs.Count }.ToJsonString(Compact) + "\n");
                    done.Add(id); // a chunk repeated later in the input is done too
                    written += pairs.Count;
                    doneNow++;
                }
                progress?.Invoke(Progress(where, pairs?.Count, clock.Elapsed, attempted, todo));
            }
        }
        catch (IOException e) when (e is not FileNotFoundException)
        {
            throw new LlmExtractOutputException($"{outputPath}: writing failed ({e.Message}); the chunks finished before are kept — free space or fix the folder and rerun to resume", e);
        }
        catch (LlmEndpointException e)
        {
            throw new LlmEndpointException(e.Kind, $"{e.Message}. {doneNow + resumed} of {chunks.Count} chunks are in {outputPath}; rerun the same command to resume", e);
        }
        try { failures.ThrowIfAllFailed(attempted); }
        catch (LlmEndpointException e) { throw new LlmEndpointException(e.Kind, $"{e.Message}. Nothing new was written; rerun the same command once the endpoint works", e); }
        return new LlmExtractSummary(chunks.Count, resumed, doneNow, attempted - doneNow, written, rowsKept + written, progressPath);
    }

    private static string Progress(string where, int? pairs, TimeSpan elapsed, int attempted, int todo)
    {
        string what = pairs is null ? "failed" : $"{pairs} pair{(pairs == 1 ? "" : "s")}";
        string eta = attempted < todo ? $", ETA {Clock(elapsed / attempted * (todo - attempted))}" : "";
        return $"{where}: {what}; {Clock(elapsed)} elapsed{eta}";
    }

    private static string Clock(TimeSpan t) => t.TotalHours >= 1
        ? t.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture)
        : t.ToString(@"m\:ss", CultureInfo.InvariantCulture);

    private static FileStream OpenAppend(string path)
    {
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } dir) Directory.CreateDirectory(dir);
        return new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
    }

    // One write of complete lines, flushed to the disk: a kill leaves whole lines, or a torn last line Recover drops.
    private static void Append(FileStream stream, string lines)
    {
        if (lines.Length == 0) return;
        stream.Write(Encoding.UTF8.GetBytes(lines));
        stream.Flush(flushToDisk: true);
    }

    /// <summary>
    /// The committed chunk ids; rewrites the output without rows of uncommitted chunks and torn lines, and ends the
    /// progress file on a line break. A non-empty output without a progress file is not ours to append to.
    /// </summary>
    private static HashSet<string> Recover(string outputPath, string progressPath, out int rowsKept)
    {
        var done = new HashSet<string>(StringComparer.Ordinal);
        rowsKept = 0;
        bool haveOutput = File.Exists(outputPath) && new FileInfo(outputPath).Length > 0;
        if (!File.Exists(progressPath))
        {
            if (haveOutput)
                throw new LlmExtractOutputException($"{outputPath} already exists and has no {Path.GetFileName(progressPath)} beside it, so it is not a resumable llm-extract output; " +
                                                    "choose another --output, or delete the file to start over");
            return done;
        }
        string progressText = File.ReadAllText(progressPath);
        foreach (var line in progressText.Split('\n'))
        {
            try
            {
                if (JsonNode.Parse(line)?["chunk_id"] is JsonValue v && v.TryGetValue<string>(out var id)) done.Add(id);
            }
            catch (JsonException) { } // a torn last line: that chunk did not commit
        }
        if (progressText.Length > 0 && !progressText.EndsWith('\n'))
            AtomicFile.WriteLines(progressPath, progressText.Split('\n').SkipLast(1));
        if (!haveOutput) return done;

        var text = File.ReadAllText(outputPath);
        var lines = text.Split('\n').ToList();
        bool torn = !text.EndsWith('\n');
        lines.RemoveAt(lines.Count - 1); // "" after the last '\n', or the torn line
        var keep = new List<string>(lines.Count);
        foreach (var line in lines)
        {
            if (line.Length == 0) continue;
            string? id = null;
            try { id = (JsonNode.Parse(line)?["chunk_id"] as JsonValue)?.GetValue<string>(); }
            catch (Exception e) when (e is JsonException or InvalidOperationException) { }
            if (id is null || done.Contains(id)) keep.Add(line);
        }
        if (torn || keep.Count != lines.Count(l => l.Length > 0)) AtomicFile.WriteLines(outputPath, keep);
        rowsKept = keep.Count;
        return done;
    }
}
