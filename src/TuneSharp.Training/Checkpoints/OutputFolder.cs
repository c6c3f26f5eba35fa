// Housekeeping of a locked output_dir: leftovers of interrupted saves, what an earlier run left, atomic deletion (rename, then delete).
using System.Text.RegularExpressions;
using TuneSharp.Training.Sft;

namespace TuneSharp.Training.Checkpoints;

/// <summary>
/// Called only while holding the folder's <see cref="RunLock"/>: then no other process writes there, so every temporary
/// name (".tmp-…", ".old-…", ".trash-…" folders, ".NAME.GUID.tmp" files) is a leftover of a killed writer.
/// </summary>
public static partial class OutputFolder
{
    /// <summary>Files a finished run leaves in output_dir itself (besides checkpoints).</summary>
    public static readonly IReadOnlyList<string> FinalFiles =
        [TrainerState.FileName, "adapter_model.safetensors", "adapter_config.json", TrainerCheckpoint.FullModelFile, "metrics.jsonl"];

    [GeneratedRegex(@"^\.(tmp|old|trash)-")]
    private static partial Regex TempFolderPattern();

    [GeneratedRegex(@"^\..+\.[0-9a-f]{32}\.tmp$")]
    private static partial Regex TempFilePattern();

    /// <summary>Deletes leftovers of interrupted saves and rotations; returns their names (for a notice).</summary>
    public static IReadOnlyList<string> RemoveTemporaries(string outputDir)
    {
        var removed = new List<string>();
        if (!Directory.Exists(outputDir)) return removed;
        foreach (var d in Directory.GetDirectories(outputDir))
        {
            var name = Path.GetFileName(d);
            if (!TempFolderPattern().IsMatch(name)) continue;
            if (TryDelete(d)) removed.Add(name);
        }
        foreach (var f in Directory.GetFiles(outputDir))
        {
            var name = Path.GetFileName(f);
            if (!TempFilePattern().IsMatch(name)) continue;
            try { File.Delete(f); removed.Add(name); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return removed;
    }

    /// <summary>What an earlier run left (checkpoint folders, a final trainer_state.json), or null for an unused folder.</summary>
    public static string? DescribePreviousRun(string outputDir)
    {
        var checkpoints = CheckpointFolders.List(outputDir);
        bool finished = File.Exists(Path.Combine(outputDir, TrainerState.FileName));
        if (checkpoints.Count == 0 && !finished) return null;
        var parts = new List<string>();
        if (checkpoints.Count > 0)
            parts.Add($"{checkpoints.Count} checkpoint(s) ({string.Join(", ", checkpoints.TakeLast(3).Select(c => Path.GetFileName(c.Path)))})");
        if (finished) parts.Add($"a finished run's {TrainerState.FileName}");
        return string.Join(" and ", parts);
    }

    /// <summary>overwrite_output_dir: removes checkpoints, final outputs, metrics and TensorBoard runs of the earlier run.</summary>
    public static void ClearPreviousRun(string outputDir)
    {
        foreach (var (_, path) in CheckpointFolders.List(outputDir)) DeleteAtomically(path);
        var runs = Path.Combine(outputDir, "runs");
        if (Directory.Exists(runs)) DeleteAtomically(runs);
        foreach (var f in FinalFiles)
        {
            var p = Path.Combine(outputDir, f);
            if (File.Exists(p)) File.Delete(p);
        }
    }

    /// <summary>
    /// Renames the folder to ".trash-NAME-…" (one atomic step: it stops being a checkpoint at once), then deletes it; a
    /// kill in between leaves only a ".trash-" folder, removed at the next start.
    /// </summary>
    public static void DeleteAtomically(string folder)
    {
        var full = Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar);
        var trash = Path.Combine(Path.GetDirectoryName(full)!, $".trash-{Path.GetFileName(full)}-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.Move(full, trash);
        Directory.Delete(trash, recursive: true);
    }

    private static bool TryDelete(string dir)
    {
        try { Directory.Delete(dir, recursive: true); return true; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }
}
