// File names inside output_dir/checkpoint-N/ and the trainer's own resumable state (JSON, never pickle).
namespace TuneSharp.Training.Checkpoints;

/// <summary>
/// checkpoint-N/ holds: adapter_config.json + adapter_model.safetensors (LoRA, PEFT layout) or model.safetensors
/// (+ config.json, full fine-tuning); tokenizer files; trainer_state.json (transformers); optimizer.safetensors +
/// optimizer.json (moments, step); scheduler.json; tunesharp_trainer.json (data order, RNG seeds, the open logging
/// window, early-stopping counter); training_args.json (the options, snake_case).
/// </summary>
public static class TrainerCheckpoint
{
    public const string OptimizerStateFile = "optimizer.json";
    public const string OptimizerTensorsFile = "optimizer.safetensors";
    public const string SchedulerFile = "scheduler.json";
    public const string TrainerStateExtraFile = "tunesharp_trainer.json";
    public const string TrainingArgsFile = "training_args.json";
    public const string FullModelFile = "model.safetensors";

    /// <summary>Tokenizer files copied from the model/tokenizer folder into checkpoints and the final output.</summary>
    public static readonly IReadOnlyList<string> TokenizerFiles =
        ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.model", "chat_template.jinja", "vocab.json", "merges.txt", "added_tokens.json"];

    public static string FolderName(int step) => CheckpointFolders.Prefix + step.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
