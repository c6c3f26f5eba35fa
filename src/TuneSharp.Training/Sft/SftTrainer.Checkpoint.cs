// SftTrainer checkpoints: atomic checkpoint-N folders (transformers Trainer._save_checkpoint layout) and resume.
using System.Text.Json;
using System.Text.Json.Nodes;
using TuneSharp.Nn.Peft;
using TuneSharp.Tensors;
using TuneSharp.Tensors.IO;
using TuneSharp.Training.Checkpoints;

namespace TuneSharp.Training.Sft;

public sealed partial class SftTrainer
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>
    /// Writes output_dir/checkpoint-{global_step}/ through <see cref="AtomicFile.WriteFolder"/> (the folder appears only
    /// when every file is written), then applies save_total_limit. Returns the folder.
    /// </summary>
    public string SaveCheckpoint()
    {
        string folder = Path.Combine(Options.OutputDir, TrainerCheckpoint.FolderName(State.GlobalStep));
        if (_newBest) State.BestModelCheckpoint = folder;
        AtomicFile.WriteFolder(folder, tmp =>
        {
            SaveWeights(tmp);
            Written(tmp, "weights");
            CopyTokenizerFiles(tmp);
            _optimizer.SaveState(tmp);
            Written(tmp, "optimizer");
            AtomicFile.WriteAllText(Path.Combine(tmp, TrainerCheckpoint.SchedulerFile), new JsonObject
            {
                ["lr_scheduler_type"] = _schedule.Name,
                ["total_steps"] = _schedule.TotalSteps,
                ["warmup_steps"] = _schedule.WarmupSteps,
                ["base_learning_rate"] = Options.LearningRate,
                ["last_step"] = State.GlobalStep,
                ["last_lr"] = Options.LearningRate * _schedule.Factor(State.GlobalStep),
            }.ToJsonString(Indented));
            AtomicFile.WriteAllText(Path.Combine(tmp, TrainerCheckpoint.TrainerStateExtraFile), ExtraStateJson());
            Written(tmp, "trainer extra state");
            AtomicFile.WriteAllText(Path.Combine(tmp, TrainerCheckpoint.TrainingArgsFile), TrainingArgsJson(Options));
            // trainer_state.json last: a folder with it is complete even if the rename guarantee were lost.
            AtomicFile.WriteAllText(Path.Combine(tmp, TrainerState.FileName), State.ToJson());
            Written(tmp, "trainer_state");
        });
        _newBest = false;
        foreach (var deleted in CheckpointFolders.Rotate(Options.OutputDir, Options.SaveTotalLimit, State.BestModelCheckpoint))
            Progress.Line($"deleted old checkpoint {deleted} (save_total_limit={Options.SaveTotalLimit})");
        Progress.Line($"saved checkpoint {folder}");
        return folder;
    }

    private void Written(string tmp, string what) => OnCheckpointFileWritten?.Invoke(what);

    /// <summary>The adapter (PEFT layout) or, for full fine-tuning, model.safetensors + config.json.</summary>
    private void SaveWeights(string folder)
    {
        if (_lora != null)
        {
            PeftAdapter.Save(folder, _lora, _model.Source);
            return;
        }
        // Full fine-tuning: every parameter (tied weights once) as F32, HF names; config.json alongside so the folder loads.
        var converted = new List<Tensor>();
        try
        {
            var tensors = new List<(string, Tensor)>();
            foreach (var (name, p) in _model.NamedParameters())
            {
                var t = p.Value.DType == DType.F32 ? p.Value : p.Value.To(DType.F32);
                if (!ReferenceEquals(t, p.Value)) converted.Add(t);
                tensors.Add((name, t));
            }
            SafeTensorsWriter.Write(Path.Combine(folder, TrainerCheckpoint.FullModelFile), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        }
        finally { foreach (var t in converted) t.Dispose(); }
        var config = Directory.Exists(_model.Source) ? Path.Combine(_model.Source, "config.json") : null;
        if (config != null && File.Exists(config)) File.Copy(config, Path.Combine(folder, "config.json"), overwrite: true);
    }

    private void CopyTokenizerFiles(string folder)
    {
        if (_tokenizerDir == null) return;
        foreach (var f in TrainerCheckpoint.TokenizerFiles)
        {
            var src = Path.Combine(_tokenizerDir, f);
            if (File.Exists(src)) File.Copy(src, Path.Combine(folder, f), overwrite: true);
        }
    }

    /// <summary>Final adapter/model + tokenizer files + trainer_state.json in output_dir itself (each file atomically).</summary>
    private void SaveFinal(string outputDir)
    {
        var tmp = Path.Combine(outputDir, $".tmp-final-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(tmp);
        try
        {
            SaveWeights(tmp);
            CopyTokenizerFiles(tmp);
            File.WriteAllText(Path.Combine(tmp, TrainerState.FileName), State.ToJson());
            // Move file by file (each rename is atomic); a reader sees old or new files, never partial ones.
            foreach (var f in Directory.GetFiles(tmp))
                File.Move(f, Path.Combine(outputDir, Path.GetFileName(f)), overwrite: true);
        }
        finally { try { Directory.Delete(tmp, recursive: true); } catch (IOException) { } }
    }

    private string ExtraStateJson() => new JsonObject
    {
        ["format"] = "tunesharp-trainer/1",
        ["global_step"] = State.GlobalStep,
        ["seed"] = Options.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["data"] = new JsonObject
        {
            ["shuffle"] = Options.Shuffle,
            ["epoch"] = State.GlobalStep / StepsPerEpoch,
            ["next_micro_batch"] = State.GlobalStep % StepsPerEpoch * Options.GradientAccumulationSteps,
            ["rows"] = TrainRows,
            ["batches_per_epoch"] = _batchesPerEpoch,
            ["steps_per_epoch"] = StepsPerEpoch,
            ["order"] = "SeededPermutation(seed * 0x9E3779B97F4A7C15 + epoch + 1)",
        },
        ["rng"] = new JsonObject { ["dropout_stream"] = "CounterRng(seed, step, micro_batch)" },
        ["logging_window"] = new JsonObject
        {
            ["loss_sum"] = _windowLossSum,
            ["steps"] = _windowSteps,
            ["tokens"] = _windowTokens,
        },
        ["run_loss_sum"] = _runLossSum,
        ["run_steps"] = _runSteps,
        ["early_stopping_patience_counter"] = _patienceCounter,
        ["skipped_steps"] = new JsonArray(_skipped.Select(s => (JsonNode?)s).ToArray()),
        ["objective"] = _objective?.SaveState(),
    }.ToJsonString(Indented);

    /// <summary>Restores weights, optimizer, trainer state and the open logging window from a complete checkpoint.</summary>
    private void LoadCheckpoint(string folder)
    {
        var state = TrainerState.Load(Path.Combine(folder, TrainerState.FileName));
        var extraPath = Path.Combine(folder, TrainerCheckpoint.TrainerStateExtraFile);
        var extra = JsonNode.Parse(File.ReadAllText(extraPath)) as JsonObject ?? throw new InvalidDataException($"{extraPath}: not a JSON object");
        var data = extra["data"] as JsonObject ?? throw new InvalidDataException($"{extraPath}: no \"data\" section");
        int rows = data["rows"]!.GetValue<int>();
        if (rows != TrainRows)
            throw new TrainingSetupException($"{folder}: the checkpoint was trained on {rows} rows, the data now has {TrainRows}; resume needs the same data, batch size and max_seq_length");
        if (data["steps_per_epoch"]!.GetValue<int>() != StepsPerEpoch)
            throw new TrainingSetupException($"{folder}: steps per epoch differ ({data["steps_per_epoch"]} vs {StepsPerEpoch}); resume needs the same batch size and gradient_accumulation_steps");
        if (state.GlobalStep > MaxSteps)
            throw new TrainingSetupException($"{folder}: checkpoint step {state.GlobalStep} is beyond max_steps {MaxSteps}");
        LoadWeights(folder);
        try { _optimizer.LoadState(folder); }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException) { throw new TrainingSetupException($"{folder}: {e.Message}"); }
        state.MaxSteps = MaxSteps;
        State = state;
        var w = extra["logging_window"] as JsonObject;
        _windowLossSum = w?["loss_sum"]?.GetValue<double>() ?? 0;
        _windowSteps = w?["steps"]?.GetValue<int>() ?? 0;
        _windowTokens = w?["tokens"]?.GetValue<long>() ?? 0;
        _runLossSum = extra["run_loss_sum"]?.GetValue<double>() ?? 0;
        _runSteps = extra["run_steps"]?.GetValue<int>() ?? 0;
        _patienceCounter = extra["early_stopping_patience_counter"]?.GetValue<int>() ?? 0;
        _skipped.Clear();
        if (extra["skipped_steps"] is JsonArray sk) _skipped.AddRange(sk.Select(n => n!.GetValue<int>()));
        _objective?.LoadState(extra["objective"] as JsonObject);
    }

    /// <summary>Copies a checkpoint's adapter (or full weights) into the trainable parameters.</summary>
    private void LoadWeights(string folder)
    {
        if (_lora != null)
        {
            try { PeftAdapter.LoadWeights(folder, _lora); }
            catch (Exception e) when (e is InvalidDataException or FileNotFoundException or AdapterFormatException) { throw new TrainingSetupException($"{folder}: {e.Message}"); }
            return;
        }
        var path = Path.Combine(folder, TrainerCheckpoint.FullModelFile);
        if (!File.Exists(path)) throw new TrainingSetupException($"{folder}: {TrainerCheckpoint.FullModelFile} not found");
        using var file = SafeTensorsFile.Open(path);
        foreach (var (name, p) in _params)
        {
            if (!file.Contains(name)) throw new TrainingSetupException($"{path}: tensor '{name}' is missing");
            var info = file.GetInfo(name);
            if (info.ToShape() != p.Shape) throw new TrainingSetupException($"{path}: tensor '{name}' has shape {info.ToShape()}, the model expects {p.Shape}");
            using var t = file.GetTensor(name);
            using var f = t.To(DType.F32);
            f.Span.CopyTo(p.Value.Span);
        }
    }

    /// <summary>The options as snake_case JSON (training_args.json; the TrainingArguments names).</summary>
    public static string TrainingArgsJson(TrainingOptions o)
    {
        var obj = new JsonObject();
        foreach (var prop in typeof(TrainingOptions).GetProperties().OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            var v = prop.GetValue(o);
            obj[Config.ConfigBinder.SnakeCase(prop.Name)] = v switch
            {
                null => null,
                List<string> l => new JsonArray(l.Select(x => (JsonNode?)x).ToArray()),
                ulong u => JsonValue.Create(u),
                int i => JsonValue.Create(i),
                double d when double.IsFinite(d) => JsonValue.Create(d),
                bool b => JsonValue.Create(b),
                string str => JsonValue.Create(str),
                // transformers writes optim by name ("adamw_torch"); earlier checkpoints hold that string too.
                OptimizerType t => JsonValue.Create(Config.ConfigBinder.EnumName(t)),
                _ => JsonValue.Create(Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture)),
            };
        }
        return obj.ToJsonString(Indented);
    }
}
