// Preference tuning (DPO sigmoid/ipo/hinge, ORPO, SimPO) with TRL's DPOTrainer / ORPOTrainer / CPOTrainer semantics,
// on the SFT trainer's loop, optimizer, schedule, logging, checkpoints and bitwise-exact resume.
using System.Text.Json.Nodes;
using TuneSharp.Models;
using TuneSharp.Nn.Lora;
using TuneSharp.Training.Sft;
using TuneSharp.Training.Tracking;

namespace TuneSharp.Training.Preference;

/// <summary>
/// Trains on <see cref="PreferencePair"/>s. One optimizer step = gradient_accumulation_steps micro-batches of
/// per_device_train_batch_size pairs; each micro-batch runs one forward over its 2P sequences (chosen rows, then
/// rejected) and its loss is the mean pair loss (ORPO adds the NLL, SimPO cpo_alpha·NLL), back-propagated with
/// 1/(micro-batches), as TRL under transformers' Trainer. With LoRA the DPO reference is the same weights with the
/// adapters off; full fine-tuning needs a frozen <c>referenceModel</c> (e.g. the base loaded again, memory-mapped).
/// Logged per logging window, averaged over its micro-batches: rewards/chosen, rewards/rejected, rewards/accuracies,
/// rewards/margins, logps/chosen, logps/rejected, logits/chosen, logits/rejected, and nll_loss, log_odds_ratio,
/// log_odds_chosen for ORPO (nll_loss for SimPO).
/// </summary>
public sealed class PreferenceTrainer : IDisposable
{
    private readonly SftTrainer _trainer;
    private readonly PreferenceObjective _objective;

    /// <exception cref="TrainingSetupException">Invalid options, unusable pairs or a missing reference model.</exception>
    public PreferenceTrainer(CausalLM model, string? tokenizerDir, TrainingOptions options, IReadOnlyList<PreferencePair> trainData,
        IReadOnlyList<PreferencePair>? evalData = null, LoraModel? lora = null, CausalLM? referenceModel = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(trainData);
        Settings = PreferenceSettings.FromOptions(options)
            ?? throw new TrainingSetupException("training.method is sft; PreferenceTrainer needs dpo, orpo or simpo (use SftTrainer for sft)");
        if (Settings.NeedsReference && lora == null && referenceModel == null)
            throw new TrainingSetupException("DPO with full fine-tuning needs a frozen reference model (pass referenceModel, e.g. the base model loaded again); with LoRA the reference is the base with adapters off");
        if (options.MaxPromptLength is < 1) throw new TrainingSetupException($"training.max_prompt_length must be ≥ 1 or unset (got {options.MaxPromptLength})");
        if (options.MaxCompletionLength is < 1) throw new TrainingSetupException($"training.max_completion_length must be ≥ 1 or unset (got {options.MaxCompletionLength})");
        string mode = (options.TruncationMode ?? "keep_end").Trim().ToLowerInvariant();
        if (mode is not ("keep_end" or "keep_start")) throw new TrainingSetupException($"training.truncation_mode '{options.TruncationMode}' is not one of keep_end, keep_start");
        if (options.Packing) throw new TrainingSetupException("training.packing does not apply to preference data; set it to false");

        int pad = model.Config.PadTokenId ?? (model.Config.EosTokenIds.Count > 0 ? model.Config.EosTokenIds[0] : 0);
        if (pad < 0 || pad >= model.Config.VocabSize) pad = 0;
        var collator = new PreferenceCollator(options.MaxSeqLength, options.MaxPromptLength, options.MaxCompletionLength, mode == "keep_end", pad, Settings);
        Check(trainData, "train", collator, model.Config.VocabSize);
        if (evalData != null) Check(evalData, "eval", collator, model.Config.VocabSize);
        _objective = new PreferenceObjective(model, referenceModel, Settings, collator, trainData, evalData, options.PrecomputeRefLogProbs, options.PerDeviceTrainBatchSize);
        _trainer = new SftTrainer(model, tokenizerDir, options, _objective, lora);
        _reference = referenceModel;
    }

    private readonly CausalLM? _reference;

    /// <summary>Dispose the reference model with this trainer (set when the trainer's creator loaded it for it).</summary>
    public bool OwnsReference { get; init; }

    /// <summary>
    /// The SFT trainer running this objective: the same loop, optimizer, schedule, checkpoints and resume, so run
    /// drivers (CLI, FineTuneRun) treat both methods alike.
    /// </summary>
    public SftTrainer Trainer => _trainer;

    public void Dispose()
    {
        if (OwnsReference) _reference?.Dispose();
    }

    /// <summary>Every pair needs token ids in the vocabulary and, after truncation, at least one scored answer token on each side.</summary>
    private static void Check(IReadOnlyList<PreferencePair> data, string what, PreferenceCollator collator, int vocab)
    {
        if (data.Count == 0) throw new TrainingSetupException($"{what} data has no rows");
        for (int i = 0; i < data.Count; i++)
        {
            var p = data[i];
            string where = string.IsNullOrEmpty(p.Where) ? $"{what} row {i + 1}" : p.Where;
            foreach (var ids in new[] { p.PromptIds, p.ChosenIds, p.RejectedIds })
                foreach (var id in ids)
                    if ((uint)id >= (uint)vocab) throw new TrainingSetupException($"{where}: token id {id} is outside the model's vocabulary (0..{vocab - 1})");
            var (c, r) = collator.AnswerTokens(p);
            if (c == 0 || r == 0)
                throw new TrainingSetupException($"{where}: after truncation the {(c == 0 ? "chosen" : "rejected")} answer has no scored token (prompt {p.PromptIds.Length}, chosen {p.ChosenIds.Length}, rejected {p.RejectedIds.Length} tokens); raise max_seq_length or lower max_prompt_length");
        }
    }

    public PreferenceSettings Settings { get; }

    public TrainingOptions Options => _trainer.Options;

    public TrainerState State => _trainer.State;

    public int MaxSteps => _trainer.MaxSteps;

    public int StepsPerEpoch => _trainer.StepsPerEpoch;

    public int TrainRows => _trainer.TrainRows;

    public SortedDictionary<int, double> StepLosses => _trainer.StepLosses;

    public SortedDictionary<int, double> StepGradNorms => _trainer.StepGradNorms;

    public IReadOnlyList<(string Name, Autograd.Variable Parameter)> TrainableParameters => _trainer.TrainableParameters;

    public ConsoleProgress Progress { get => _trainer.Progress; set => _trainer.Progress = value; }

    /// <summary>Every log_history entry as it is added.</summary>
    public event Action<JsonObject>? Logged
    {
        add => _trainer.Logged += value;
        remove => _trainer.Logged -= value;
    }

    /// <summary>Fault-injection hook inside checkpoint writing (see <see cref="SftTrainer.OnCheckpointFileWritten"/>).</summary>
    public Action<string>? OnCheckpointFileWritten { get => _trainer.OnCheckpointFileWritten; set => _trainer.OnCheckpointFileWritten = value; }

    /// <summary>Runs training to max_steps, resuming first when resume_from_checkpoint says so.</summary>
    public TrainOutcome Train(CancellationToken cancellation = default) => _trainer.Train(cancellation);

    /// <summary>eval_loss and eval_ metrics (rewards/accuracies …) over the evaluation pairs.</summary>
    public (double Loss, JsonObject Metrics) Evaluate() => _objective.Evaluate(Options.PerDeviceEvalBatchSize);

    public string SaveCheckpoint() => _trainer.SaveCheckpoint();
}
