// `dataset:` section of a run config.
namespace TuneSharp.Training.Config;

public sealed class DatasetSection
{
    /// <summary>
    /// Training data: a file, a folder (Hugging Face dataset folder: save_to_disk or Hub layout), a glob, or a list of them.
    /// </summary>
    public string? Path { get; set; }

    /// <summary>Files per split like datasets.load_dataset's data_files: {train: [a.parquet, "b/*.parquet"], test: c.parquet}.</summary>
    public Dictionary<string, string> DataFiles { get; set; } = [];

    /// <summary>Which split of dataset.path trains (default train).</summary>
    public string Split { get; set; } = "train";

    /// <summary>Evaluate on this split of dataset.path (e.g. validation or test) when eval_path is not given.</summary>
    public string? EvalSplit { get; set; }

    /// <summary>For pre-rendered text: the marker starting each human turn (TRL instruction_template); needs response_template.</summary>
    public string? InstructionTemplate { get; set; }

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

    /// <summary>
    /// For format custom: response template with {field} placeholders (the part trained on). For the other formats (e.g.
    /// text holding pre-rendered "### Response:" strings): the response marker, as text or token ids [1, 2, 3], matched
    /// on token ids like TRL's DataCollatorForCompletionOnlyLM; everything up to it is masked.
    /// </summary>
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
