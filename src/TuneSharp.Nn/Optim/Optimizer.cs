// Base of the optimizers: named trainable parameters, HF weight-decay grouping, step counting, state save/load (safetensors + JSON).
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using TuneSharp.Autograd;
using TuneSharp.Nn.Peft;
using TuneSharp.Tensors.IO;
using TuneSharp.Tensors.Kernels;

namespace TuneSharp.Nn.Optim;

/// <summary>
/// Updates a fixed list of named trainable F32 parameters from their accumulated gradients. Weight decay follows the
/// HF Trainer's parameter groups (trainer.get_decay_parameter_names): parameters whose lower-cased name contains
/// "bias", "layernorm", "rmsnorm", a ".norm." / "norm" path segment or "_norm" get no decay; all others get
/// <see cref="OptimizerOptions.WeightDecay"/>. A parameter without a gradient is skipped (torch skips p.grad is None).
/// State (<see cref="SaveState"/>): <c>optimizer.safetensors</c> (moments, raw bytes → bitwise resume) and
/// <c>optimizer.json</c> (type, step, hyperparameters, parameter names).
/// </summary>
public abstract class Optimizer
{
    public const string StateFileName = "optimizer.safetensors";
    public const string StateJsonName = "optimizer.json";

    private static readonly Regex[] NoDecayPatterns =
        new[] { "bias", "layernorm", "rmsnorm", @"(?:^|\.)norm(?:$|\.)", @"_norm(?:$|\.)" }.Select(p => new Regex(p, RegexOptions.CultureInvariant)).ToArray();

    protected Optimizer(IEnumerable<(string Name, Variable Parameter)> parameters, OptimizerOptions options)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        LearningRate = options.LearningRate;
        var list = parameters.ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, p) in list)
        {
            if (!p.RequiresGrad) throw new ArgumentException($"optimizer: parameter '{name}' is frozen (requires no gradient); pass only trainable parameters");
            if (!names.Add(name)) throw new ArgumentException($"optimizer: parameter name '{name}' appears twice");
        }
        if (list.Count == 0) throw new ArgumentException("optimizer: no trainable parameters");
        Parameters = list;
        Decays = list.Select(p => DecaysWeight(p.Name)).ToArray();
    }

    /// <summary>The TrainingArguments optim name this optimizer implements ("adamw_torch", "adamw_8bit").</summary>
    public abstract string TypeName { get; }

    public OptimizerOptions Options { get; }

    public IReadOnlyList<(string Name, Variable Parameter)> Parameters { get; }

    /// <summary>Per parameter: whether weight decay applies (HF grouping).</summary>
    public IReadOnlyList<bool> Decays { get; }

    /// <summary>Current learning rate (the scheduler sets it before each <see cref="Step"/>).</summary>
    public double LearningRate { get; set; }

    /// <summary>Completed optimizer steps (torch state['step'] after the last update).</summary>
    public long StepCount { get; protected set; }

    /// <summary>HF get_decay_parameter_names for one parameter name.</summary>
    public static bool DecaysWeight(string name)
    {
        string lower = name.ToLowerInvariant();
        return !NoDecayPatterns.Any(p => p.IsMatch(lower));
    }

    /// <summary>One update of every parameter that has a gradient; increments <see cref="StepCount"/>.</summary>
    public void Step()
    {
        StepCount++;
        for (int i = 0; i < Parameters.Count; i++)
        {
            var p = Parameters[i].Parameter;
            if (p.Grad == null) continue;
            double wd = Decays[i] ? Options.WeightDecay : 0;
            Update(i, p.Value.Span, p.Grad.Span, wd);
        }
    }

    /// <summary>
    /// torch.nn.utils.clip_grad_norm_ over this optimizer's parameters (<see cref="GradClip"/> semantics): returns the
    /// total L2 norm before clipping; scales the gradients by min(1, max/(norm + 1e-6)) when <paramref name="maxNorm"/> &gt; 0
    /// and the norm is finite (a NaN/∞ norm leaves the gradients untouched so the caller can skip the step).
    /// </summary>
    public double ClipGradNorm(double maxNorm)
    {
        double sum = 0;
        foreach (var (_, p) in Parameters)
            if (p.Grad is { } g) sum += GradClip.SumOfSquares(g.Span);
        double norm = Math.Sqrt(sum);
        if (maxNorm > 0 && double.IsFinite(norm))
        {
            float coef = GradClip.ClipCoefficient(norm, maxNorm);
            if (coef < 1f)
                foreach (var (_, p) in Parameters)
                    if (p.Grad is { } g) Elementwise.Scale(g.Span, coef, g.Span);
        }
        return norm;
    }

    /// <summary>Zeroes every parameter's gradient buffer (kept for the next accumulation).</summary>
    public void ZeroGrad()
    {
        foreach (var (_, p) in Parameters) p.ZeroGrad();
    }

    protected abstract void Update(int index, Span<float> param, ReadOnlySpan<float> grad, double weightDecay);

    /// <summary>The state tensors to save: (key, safetensors dtype, shape, bytes).</summary>
    protected abstract IEnumerable<(string Key, string DType, long[] Shape, ReadOnlyMemory<byte> Data)> StateTensors();

    /// <summary>Restores every state tensor from the saved file (each must be present with the right size).</summary>
    protected abstract void RestoreState(SafeTensorsFile file);

    /// <summary>Writes optimizer.safetensors then optimizer.json into <paramref name="folder"/>, each atomically.</summary>
    public void SaveState(string folder)
    {
        Directory.CreateDirectory(folder);
        SafeTensorsWriter.Write(Path.Combine(folder, StateFileName), StateTensors().ToList());
        var o = new JsonObject
        {
            ["type"] = TypeName,
            ["step"] = StepCount,
            ["learning_rate"] = LearningRate,
            ["weight_decay"] = Options.WeightDecay,
            ["adam_beta1"] = Options.Beta1,
            ["adam_beta2"] = Options.Beta2,
            ["adam_epsilon"] = Options.Epsilon,
            ["parameters"] = new JsonArray(Parameters.Select(p => (JsonNode?)JsonValue.Create(p.Name)).ToArray()),
        };
        AtomicFile.WriteAllText(Path.Combine(folder, StateJsonName), o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    /// <summary>Restores what <see cref="SaveState"/> wrote; the parameter list and optimizer type must match.</summary>
    public void LoadState(string folder)
    {
        string json = Path.Combine(folder, StateJsonName), st = Path.Combine(folder, StateFileName);
        if (!File.Exists(json) || !File.Exists(st)) throw new FileNotFoundException($"optimizer state: '{folder}' lacks {StateJsonName} or {StateFileName}");
        var o = JsonNode.Parse(File.ReadAllText(json)) as JsonObject ?? throw new InvalidDataException($"optimizer state: '{json}' is not a JSON object");
        string type = o["type"]?.GetValue<string>() ?? "";
        if (type != TypeName) throw new InvalidDataException($"optimizer state: '{json}' was written by '{type}', this optimizer is '{TypeName}'");
        var names = (o["parameters"] as JsonArray)?.Select(n => n!.GetValue<string>()).ToList() ?? [];
        var mine = Parameters.Select(p => p.Name).ToList();
        if (!names.SequenceEqual(mine))
        {
            var diff = names.Except(mine).Concat(mine.Except(names)).FirstOrDefault() ?? "(order differs)";
            throw new InvalidDataException($"optimizer state: '{json}' holds {names.Count} parameters, the model has {mine.Count} trainable ones; first difference: '{diff}'");
        }
        StepCount = o["step"]!.GetValue<long>();
        LearningRate = o["learning_rate"]!.GetValue<double>();
        using var file = SafeTensorsFile.Open(st);
        RestoreState(file);
    }

    /// <summary>Copies a saved tensor's bytes into <paramref name="dst"/> after checking presence and size.</summary>
    protected static void ReadInto(SafeTensorsFile file, string key, Span<byte> dst)
    {
        if (!file.Contains(key)) throw new InvalidDataException($"optimizer state: '{file.Path}' lacks tensor '{key}'");
        var src = file.GetBytes(key);
        if (src.Length != dst.Length) throw new InvalidDataException($"optimizer state: '{file.Path}': tensor '{key}' has {src.Length} bytes, expected {dst.Length}");
        src.CopyTo(dst);
    }
}
