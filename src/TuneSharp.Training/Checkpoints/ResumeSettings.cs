// Resume check: the checkpoint's training_args.json must agree with this run on every setting that changes the math of the remaining steps.
using System.Text.Json;
using System.Text.Json.Nodes;
using TuneSharp.Training.Sft;

namespace TuneSharp.Training.Checkpoints;

/// <summary>
/// Issue 14: resume_from_checkpoint picked up another run's checkpoint (other seed and learning rate) without a word.
/// Settings that may change on resume (as with transformers): output and logging cadence, max_steps/num_train_epochs
/// (extending a run), threads, report_to, save/eval cadence. Everything else listed in <see cref="Checked"/> must match.
/// </summary>
public static class ResumeSettings
{
    /// <summary>training_args.json keys that must be equal to resume.</summary>
    public static readonly IReadOnlyList<string> Checked =
    [
        "seed", "learning_rate", "lr_scheduler_type", "warmup_steps", "warmup_ratio", "optim", "weight_decay", "adam_beta1", "adam_beta2",
        "adam_epsilon", "max_grad_norm", "per_device_train_batch_size", "gradient_accumulation_steps", "max_seq_length", "packing",
        "completion_only_loss", "shuffle", "nan_policy",
    ];

    /// <summary>The differences as "key: checkpoint A, now B" lines (empty when the settings agree or the checkpoint has no training_args.json).</summary>
    public static IReadOnlyList<string> Differences(string checkpoint, TrainingOptions now)
    {
        var path = Path.Combine(checkpoint, TrainerCheckpoint.TrainingArgsFile);
        if (!File.Exists(path)) return [];
        JsonObject saved, current;
        try
        {
            saved = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? [];
        }
        catch (JsonException) { return [$"{TrainerCheckpoint.TrainingArgsFile} is damaged, the settings cannot be compared"]; }
        current = (JsonObject)JsonNode.Parse(SftTrainer.TrainingArgsJson(now))!;
        var diffs = new List<string>();
        foreach (var key in Checked)
        {
            var a = saved[key]?.ToJsonString();
            var b = current[key]?.ToJsonString();
            if (a == null || a == b) continue;
            diffs.Add($"{key}: checkpoint {a}, now {b ?? "unset"}");
        }
        return diffs;
    }

    /// <summary>Throws <see cref="TrainingSetupException"/> listing what differs.</summary>
    public static void Require(string checkpoint, TrainingOptions now)
    {
        var diffs = Differences(checkpoint, now);
        if (diffs.Count == 0) return;
        throw new TrainingSetupException($"cannot resume from {checkpoint}: it was trained with other settings ({string.Join("; ", diffs)}). "
            + "Resume with the checkpoint's settings, or start a new run with overwrite_output_dir=true or another output_dir.");
    }
}
