// Settings of `tunesharp quickstart`: where to write, which model, and the (CI-sizable) model and step counts.
namespace TuneSharp.Quickstart;

public sealed record QuickstartOptions
{
    public string OutputDir { get; init; } = "quickstart-output";

    /// <summary>An HF model folder to fine-tune instead of the embedded tiny model (skips tokenizer/model creation and pre-training).</summary>
    public string? ModelPath { get; init; }

    public ulong Seed { get; init; } = 42;

    public int VocabSize { get; init; } = 1024;

    public int HiddenSize { get; init; } = 128;

    public int Layers { get; init; } = 4;

    public int Heads { get; init; } = 4;

    public int KeyValueHeads { get; init; } = 2;

    public int IntermediateSize { get; init; } = 352;

    public int MaxSeqLength { get; init; } = 128;

    public int PretrainSteps { get; init; } = 600;

    public double PretrainLearningRate { get; init; } = 3e-3;

    public int SftSteps { get; init; } = 300;

    public double SftLearningRate { get; init; } = 5e-3;

    public int LoraR { get; init; } = 16;

    public double LoraAlpha { get; init; } = 32;

    public int BatchSize { get; init; } = 8;

    /// <summary>
    /// Held-out questions (paraphrases about the trained terms) in the base-vs-tuned evaluation: a seeded subset of
    /// this many; 0 = all.
    /// </summary>
    public int EvalRows { get; init; }

    /// <summary>A sentence-transformers folder: adds SemScore to the base-vs-tuned evaluation (accuracy and ROUGE-L always run).</summary>
    public string? EmbeddingModel { get; init; }

    /// <summary>
    /// An OpenAI-compatible judge (endpoint, model, key variable): adds the seed's 1–5 truthfulness judge to the
    /// base-vs-tuned evaluation. Null = no judge.
    /// </summary>
    public Evaluation.JudgeConfig? Judge { get; init; }

    /// <summary>Held-out questions whose tuned answers are printed at the end.</summary>
    public int Samples { get; init; } = 3;

    public int MaxNewTokens { get; init; } = 48;

    /// <summary>A CI-sized configuration (seconds, not minutes); losses still must drop.</summary>
    public static QuickstartOptions Tiny(string outputDir) => new()
    {
        OutputDir = outputDir, VocabSize = 512, HiddenSize = 64, Layers = 2, Heads = 2, KeyValueHeads = 1, IntermediateSize = 160,
        MaxSeqLength = 96, PretrainSteps = 30, SftSteps = 30, SftLearningRate = 1e-2, Samples = 1, MaxNewTokens = 8, EvalRows = 6,
    };
}
