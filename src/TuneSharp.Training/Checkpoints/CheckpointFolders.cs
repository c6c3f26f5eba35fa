// Finding, validating and rotating output_dir/checkpoint-N folders (transformers trainer_utils.get_last_checkpoint, _rotate_checkpoints).
using System.Text.RegularExpressions;
using TuneSharp.Training.Sft;

namespace TuneSharp.Training.Checkpoints;

public static partial class CheckpointFolders
{
    public const string Prefix = "checkpoint-";

    /// <summary>Files a checkpoint must hold to be resumable (besides the adapter or model weights).</summary>
    public static readonly IReadOnlyList<string> RequiredFiles = [TrainerState.FileName, TrainerCheckpoint.OptimizerStateFile, TrainerCheckpoint.OptimizerTensorsFile, TrainerCheckpoint.TrainerStateExtraFile];

    [GeneratedRegex(@"^checkpoint-(\d+)$")]
    private static partial Regex NamePattern();

    /// <summary>checkpoint-N folders (exact names; temporary ".tmp-…" folders are never listed) sorted by N.</summary>
    public static IReadOnlyList<(int Step, string Path)> List(string outputDir)
    {
        if (!Directory.Exists(outputDir)) return [];
        var r = new List<(int, string)>();
        foreach (var d in Directory.GetDirectories(outputDir))
        {
            var m = NamePattern().Match(Path.GetFileName(d));
            if (m.Success && int.TryParse(m.Groups[1].Value, out var step)) r.Add((step, d));
        }
        return r.OrderBy(x => x.Item1).ToList();
    }

    /// <summary>Why a folder is not a complete checkpoint, or null when it is.</summary>
    public static string? Problem(string folder)
    {
        if (!Directory.Exists(folder)) return "folder not found";
        foreach (var f in RequiredFiles)
            if (!File.Exists(Path.Combine(folder, f))) return $"{f} is missing";
        bool hasWeights = File.Exists(Path.Combine(folder, "adapter_model.safetensors")) || File.Exists(Path.Combine(folder, "model.safetensors"));
        if (!hasWeights) return "neither adapter_model.safetensors nor model.safetensors is present";
        try { TrainerState.Load(Path.Combine(folder, TrainerState.FileName)); }
        catch (Exception e) when (e is InvalidDataException or IOException or InvalidOperationException or FormatException) { return e.Message; }
        return null;
    }

    /// <summary>The newest complete checkpoint (incomplete ones are skipped), or null.</summary>
    public static string? Latest(string outputDir, Action<string>? warn = null)
    {
        foreach (var (_, path) in List(outputDir).Reverse())
        {
            var p = Problem(path);
            if (p == null) return path;
            warn?.Invoke($"skipping incomplete checkpoint {path}: {p}");
        }
        return null;
    }

    /// <summary>
    /// Removes temporary folders left by a killed writer (".tmp-checkpoint-N-&lt;pid&gt;-…" whose process is gone).
    /// </summary>
    public static void CleanStaleTemporaries(string outputDir)
    {
        if (!Directory.Exists(outputDir)) return;
        foreach (var d in Directory.GetDirectories(outputDir))
        {
            var name = Path.GetFileName(d);
            if (!name.StartsWith(".tmp-" + Prefix, StringComparison.Ordinal) && !name.StartsWith(".old-" + Prefix, StringComparison.Ordinal)
                && !name.StartsWith(".trash-" + Prefix, StringComparison.Ordinal)) continue;
            var parts = name.Split('-');
            // .tmp-checkpoint-N-PID-GUID
            if (name.StartsWith(".tmp-", StringComparison.Ordinal) && parts.Length >= 5 && int.TryParse(parts[^2], out var pid) && pid != Environment.ProcessId && IsAlive(pid))
                continue;
            try { Directory.Delete(d, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static bool IsAlive(int pid)
    {
        try { using var p = System.Diagnostics.Process.GetProcessById(pid); return !p.HasExited; }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    /// <summary>
    /// save_total_limit: deletes the oldest checkpoints beyond the limit, never the best one (it is moved to the
    /// newest end, as transformers does), and keeps two when the limit is 1 and the best is not the latest.
    /// </summary>
    public static IReadOnlyList<string> Rotate(string outputDir, int? saveTotalLimit, string? bestCheckpoint)
    {
        if (saveTotalLimit is not { } limit || limit <= 0) return [];
        var sorted = List(outputDir).Select(c => c.Path).ToList();
        if (bestCheckpoint != null)
        {
            int i = sorted.FindIndex(p => SamePath(p, bestCheckpoint));
            if (i >= 0 && i < sorted.Count - 1)
            {
                var best = sorted[i];
                sorted.RemoveAt(i);
                sorted.Insert(sorted.Count - 1, best);
            }
        }
        if (limit == 1 && bestCheckpoint != null && sorted.Count > 0 && !SamePath(sorted[^1], bestCheckpoint)) limit = 2;
        var deleted = new List<string>();
        int excess = sorted.Count - limit;
        for (int i = 0; i < excess; i++)
        {
            OutputFolder.DeleteAtomically(sorted[i]); // rename first: a kill mid-delete never leaves a half checkpoint-N
            deleted.Add(sorted[i]);
        }
        return deleted;
    }

    private static bool SamePath(string a, string b) =>
        string.Equals(Path.GetFullPath(a).TrimEnd('/'), Path.GetFullPath(b).TrimEnd('/'), StringComparison.Ordinal);
}
