// trainer_state.json with transformers' TrainerState layout (trainer_callback.py), plus its JSON round trip.
using System.Text.Json;
using System.Text.Json.Nodes;

namespace TuneSharp.Training.Sft;

/// <summary>
/// The fields transformers writes (snake_case in JSON): epoch, global_step, max_steps, num_train_epochs,
/// logging_steps, eval_steps, save_steps, train_batch_size, best_metric, best_model_checkpoint, log_history
/// (one object per log: {loss, grad_norm, learning_rate, epoch, step, …} or {eval_loss, …}), plus
/// is_local_process_zero/is_world_process_zero/total_flos/num_input_tokens_seen so HF tools read it unchanged.
/// </summary>
public sealed class TrainerState
{
    public const string FileName = "trainer_state.json";

    public double Epoch { get; set; }

    public int GlobalStep { get; set; }

    public int MaxSteps { get; set; }

    public int NumTrainEpochs { get; set; }

    public int LoggingSteps { get; set; }

    public int EvalSteps { get; set; }

    public int SaveSteps { get; set; }

    public int TrainBatchSize { get; set; }

    public double? BestMetric { get; set; }

    public string? BestModelCheckpoint { get; set; }

    public long NumInputTokensSeen { get; set; }

    /// <summary>Each entry's keys in insertion order; values are double, int, long or string.</summary>
    public List<JsonObject> LogHistory { get; } = [];

    public string ToJson()
    {
        var o = new JsonObject
        {
            ["best_metric"] = BestMetric is { } b && double.IsFinite(b) ? b : null,
            ["best_model_checkpoint"] = BestModelCheckpoint,
            ["epoch"] = Epoch,
            ["eval_steps"] = EvalSteps,
            ["global_step"] = GlobalStep,
            ["is_hyper_param_search"] = false,
            ["is_local_process_zero"] = true,
            ["is_world_process_zero"] = true,
            ["log_history"] = new JsonArray(LogHistory.Select(e => (JsonNode?)e.DeepClone()).ToArray()),
            ["logging_steps"] = LoggingSteps,
            ["max_steps"] = MaxSteps,
            ["num_input_tokens_seen"] = NumInputTokensSeen,
            ["num_train_epochs"] = NumTrainEpochs,
            ["save_steps"] = SaveSteps,
            ["total_flos"] = 0,
            ["train_batch_size"] = TrainBatchSize,
            ["trial_name"] = null,
            ["trial_params"] = null,
        };
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    public static TrainerState FromJson(string json, string source)
    {
        JsonNode? root;
        try { root = JsonNode.Parse(json); }
        catch (JsonException e) { throw new InvalidDataException($"{source}: not valid JSON ({e.Message})"); }
        if (root is not JsonObject o) throw new InvalidDataException($"{source}: expected a JSON object");
        int Int(string k) => o[k] is JsonValue v && v.TryGetValue<int>(out var i) ? i : throw new InvalidDataException($"{source}: missing or non-integer \"{k}\"");
        var s = new TrainerState
        {
            Epoch = o["epoch"]?.GetValue<double>() ?? 0,
            GlobalStep = Int("global_step"),
            MaxSteps = Int("max_steps"),
            NumTrainEpochs = o["num_train_epochs"]?.GetValue<int>() ?? 0,
            LoggingSteps = o["logging_steps"]?.GetValue<int>() ?? 0,
            EvalSteps = o["eval_steps"]?.GetValue<int>() ?? 0,
            SaveSteps = o["save_steps"]?.GetValue<int>() ?? 0,
            TrainBatchSize = o["train_batch_size"]?.GetValue<int>() ?? 0,
            BestMetric = o["best_metric"]?.GetValue<double>(),
            BestModelCheckpoint = o["best_model_checkpoint"]?.GetValue<string>(),
            NumInputTokensSeen = o["num_input_tokens_seen"]?.GetValue<long>() ?? 0,
        };
        if (o["log_history"] is JsonArray arr)
            foreach (var e in arr)
                if (e is JsonObject eo) s.LogHistory.Add((JsonObject)eo.DeepClone());
        return s;
    }

    public static TrainerState Load(string path) => FromJson(File.ReadAllText(path), path);
}
