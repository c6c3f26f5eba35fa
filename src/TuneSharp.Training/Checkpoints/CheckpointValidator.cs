// Deep check that a checkpoint-N folder can be resumed from: every file present and parseable, every safetensors header and data region intact.
using System.Text.Json;
using System.Text.Json.Nodes;
using TuneSharp.Tensors.IO;
using TuneSharp.Training.Sft;

namespace TuneSharp.Training.Checkpoints;

/// <summary>
/// Resume falls back past checkpoints this rejects (issue 14: a truncated optimizer.safetensors, adapter or trainer JSON in
/// the newest checkpoint ended in a stack trace). Reads every JSON file and every safetensors header; tensor data must lie
/// inside the file. Cost: the JSON files plus headers, no tensor data is copied.
/// </summary>
public static class CheckpointValidator
{
    /// <summary>Why the folder cannot be resumed from (file and reason), or null when it is sound.</summary>
    public static string? Problem(string folder)
    {
        if (CheckpointFolders.Problem(folder) is { } basic) return basic;
        foreach (var json in new[] { TrainerState.FileName, TrainerCheckpoint.OptimizerStateFile, TrainerCheckpoint.TrainerStateExtraFile, TrainerCheckpoint.SchedulerFile, "adapter_config.json" })
        {
            var path = Path.Combine(folder, json);
            if (!File.Exists(path)) continue;
            try
            {
                if (JsonNode.Parse(File.ReadAllText(path)) is not JsonObject) return $"{json} is not a JSON object";
            }
            catch (JsonException e) { return $"{json} is damaged ({e.Message})"; }
            catch (IOException e) { return $"{json} cannot be read ({e.Message})"; }
        }
        try
        {
            var extra = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(folder, TrainerCheckpoint.TrainerStateExtraFile)))!;
            if (extra["data"] is not JsonObject data || data["rows"] is not JsonValue || data["steps_per_epoch"] is not JsonValue)
                return $"{TrainerCheckpoint.TrainerStateExtraFile} lacks its \"data\" section";
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException) { return $"{TrainerCheckpoint.TrainerStateExtraFile}: {e.Message}"; }
        foreach (var st in new[] { TrainerCheckpoint.OptimizerTensorsFile, "adapter_model.safetensors", TrainerCheckpoint.FullModelFile })
        {
            var path = Path.Combine(folder, st);
            if (!File.Exists(path)) continue;
            try
            {
                using var file = SafeTensorsFile.Open(path);
                foreach (var t in file.Tensors)
                    if (file.DataStart + t.DataEnd > file.FileLength) return $"{st}: tensor '{t.Name}' ends past the end of the file (truncated)";
            }
            catch (Exception e) when (e is TuneSharpException or IOException or InvalidDataException or FormatException or ArgumentException or NotSupportedException)
            {
                return $"{st} is damaged ({e.Message})";
            }
        }
        return null;
    }
}
