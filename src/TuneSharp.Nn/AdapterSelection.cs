// Which LoRA adapter a forward applies: one for every row (PEFT set_adapter / disable_adapter) or one per sequence
// (multi-adapter batched inference, as vLLM's multi-LoRA and PEFT's mixed-batch `adapter_names`).
namespace TuneSharp.Nn;

/// <summary>
/// Either one adapter name for the whole batch (<see cref="Uniform"/>, null = base model only) or a name per
/// sequence (<see cref="Sequences"/>, null entries = base model). A module without an adapter of the chosen name
/// runs its base path for those rows.
/// </summary>
public sealed class AdapterSelection
{
    /// <summary>PEFT's name for the adapter a model is created or loaded with.</summary>
    public const string DefaultName = "default";

    private AdapterSelection(string? uniform, IReadOnlyList<string?>? sequences)
    {
        Uniform = uniform;
        Sequences = sequences;
    }

    /// <summary>The "default" adapter on every row (training, single-adapter generation).</summary>
    public static AdapterSelection Default { get; } = new(DefaultName, null);

    /// <summary>No adapter anywhere: the base model (PEFT disable_adapter; the DPO reference model).</summary>
    public static AdapterSelection None { get; } = new(null, null);

    /// <summary>One named adapter (or null = none) on every row.</summary>
    public static AdapterSelection Single(string? name) => name == DefaultName ? Default : name is null ? None : new(name, null);

    /// <summary>One adapter name (or null = base model) per sequence of the batch, in batch order.</summary>
    public static AdapterSelection PerSequence(IReadOnlyList<string?> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (names.Count == 0) throw new ArgumentException("per-sequence adapter list is empty");
        // One name for everyone is the uniform case (and keeps the cheaper, differentiable path).
        return names.All(n => n == names[0]) ? Single(names[0]) : new(null, names.ToArray());
    }

    /// <summary>The adapter every row uses when <see cref="Sequences"/> is null (null = none).</summary>
    public string? Uniform { get; }

    /// <summary>Per-sequence names, or null for a uniform selection.</summary>
    public IReadOnlyList<string?>? Sequences { get; }

    public override string ToString() => Sequences is null ? Uniform ?? "(none)" : "[" + string.Join(", ", Sequences.Select(s => s ?? "(none)")) + "]";
}
