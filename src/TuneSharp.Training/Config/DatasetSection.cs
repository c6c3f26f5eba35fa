// `dataset:` section of a run config.
namespace TuneSharp.Training.Config;

public sealed class DatasetSection
{
    /// <summary>Training data file or folder.</summary>
    public string? Path { get; set; }

    /// <summary>Optional separate evaluation file (otherwise test_size splits the training data).</summary>
    public string? EvalPath { get; set; }

    /// <summary>
    /// How rows become text: alpaca (instruction/input/output), chat (messages with the model's chat template),
    /// completion (prompt/completion), text (plain text, continued pre-training), custom (template with {field}s),
    /// tokenized (input_ids/labels already present).
    /// </summary>
    public string Format { get; set; } = "alpaca";

    /// <summary>File format: auto (by extension), json, jsonl, csv, tsv, text, text-document.</summary>
    public string FileFormat { get; set; } = "auto";

    /// <summary>For format custom: prompt template with {field} placeholders.</summary>
    public string? Template { get; set; }

    /// <summary>For format custom: response template with {field} placeholders (the part trained on).</summary>
    public string? ResponseTemplate { get; set; }

    /// <summary>Rename columns of the file to the names the format expects, e.g. {instruction: Q, output: A}.</summary>
    public Dictionary<string, string> Columns { get; set; } = [];

    /// <summary>Fraction (0–1) or count of rows held out for evaluation; 0 = none.</summary>
    public double TestSize { get; set; }

    /// <summary>Use only the first N rows (after shuffling with the seed); 0 = all.</summary>
    public int MaxSamples { get; set; }

    /// <summary>Pack several examples into each max_seq_length sequence; copied to training.packing.</summary>
    public bool? Packing { get; set; }
}
