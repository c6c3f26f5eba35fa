// `dataset:` section of a run config: where the rows come from, how they become text, and which of them train.
using System.ComponentModel;

namespace TuneSharp.Training.Config;

public sealed class DatasetSection
{
    [Description("Training data: a file (JSON, JSONL, CSV, TSV, text, Parquet, Arrow), a Hugging Face dataset folder (save_to_disk or Hub layout), a glob, or a list of them; relative to the config file.")]
    public string? Path { get; set; }

    [Description("Files per split like datasets.load_dataset's data_files, e.g. {train: a.parquet, test: b.parquet}.")]
    public Dictionary<string, string> DataFiles { get; set; } = [];

    [Description("Which split of path (a dataset folder or data_files) trains.")]
    public string Split { get; set; } = "train";

    [Description("Evaluate on this split of path (e.g. validation or test) when eval_path is not given.")]
    public string? EvalSplit { get; set; }

    [Description("Pre-rendered text: the marker starting each human turn (TRL instruction_template); needs response_template.")]
    public string? InstructionTemplate { get; set; }

    [Description("Separate evaluation file (same format and columns); otherwise test_size holds rows out of path.")]
    public string? EvalPath { get; set; }

    [Description("How rows become text: alpaca (instruction/input/output), chat (messages + chat template), completion (prompt/completion), "
        + "text (every token trained), custom (template/response_template), tokenized (input_ids/labels).")]
    public string Format { get; set; } = "alpaca";

    [Description("File format of path and eval_path: auto (by extension), json, jsonl, csv, tsv, text (one row per line), text-document (one row per file).")]
    public string FileFormat { get; set; } = "auto";

    [Description("format custom: prompt template with {field} placeholders (not trained on).")]
    public string? Template { get; set; }

    [Description("format custom: response template with {field} placeholders (the trained part). Other formats (e.g. text with pre-rendered ### Response: strings): the response marker, as text or token ids [1, 2, 3], matched on token ids like TRL's DataCollatorForCompletionOnlyLM; everything before it is masked.")]
    public string? ResponseTemplate { get; set; }

    [Description("Rename file columns to the names the format expects, e.g. {instruction: question, output: answer}.")]
    public Dictionary<string, string> Columns { get; set; } = [];

    [Description("Rows held out of path for evaluation: a fraction in (0, 1) or a count ≥ 1 (seeded by training.seed); 0 = none.")]
    public double TestSize { get; set; }

    [Description("Use only N training rows: with training.shuffle a seeded random subset (the first N after shuffling with training.seed), "
        + "without it the first N in file order; taken before the test_size split; 0 = all.")]
    public int MaxSamples { get; set; }

    [Description("Same as training.packing (wins over it when set).")]
    public bool? Packing { get; set; }
}
