// Settings of a batched prediction run: KV rows decoded together, decoding options and the context bound.
using TuneSharp.Inference;

namespace TuneSharp.Evaluation.Prediction;

public sealed record PredictOptions
{
    /// <summary>KV-cache rows decoded together; finished rows are refilled from the waiting prompts.</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>
    /// Decoding settings shared by every row. With a <see cref="GenerationOptions.Seed"/>, row i samples with seed + i
    /// (its index in the input), so the output does not depend on the batch size or on which rows were resumed.
    /// </summary>
    public GenerationOptions Generation { get; init; } = new() { MaxNewTokens = 256, Adapter = null, SkipSpecialTokens = true };

    /// <summary>Prompt + generated tokens per row; null = the longest prompt + max_new_tokens (at most the model's max_position_embeddings).</summary>
    public int? MaxContext { get; init; }

    public void Validate()
    {
        if (BatchSize < 1) throw new EvaluationInputException($"--batch-size must be ≥ 1, got {BatchSize}", ExitCode.Usage);
        Generation.Validate();
        if (MaxContext is < 2) throw new EvaluationInputException($"max context must be ≥ 2, got {MaxContext}", ExitCode.Usage);
    }
}
