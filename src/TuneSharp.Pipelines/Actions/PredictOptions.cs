// Settings of the `predict` step: model, adapter, prompt template, reference column and generation parameters.
using TuneSharp.Inference;

namespace TuneSharp.Pipelines.Actions;

public sealed record PredictOptions
{
    public required string Model { get; init; }

    public string? Adapter { get; init; }

    public required string Input { get; init; }

    /// <summary>A {field} template, or "alpaca" for the standard Alpaca prompt (with/without input).</summary>
    public string Prompt { get; init; } = "alpaca";

    /// <summary>Column copied to "reference" (for eval), if present.</summary>
    public string Reference { get; init; } = "output";

    /// <summary>Rows handled (0 = all).</summary>
    public int MaxRows { get; init; }

    public int BatchSize { get; init; } = 8;

    public GenerationOptions Generation { get; init; } = new();
}
