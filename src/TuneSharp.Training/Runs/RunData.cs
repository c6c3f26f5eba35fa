// The data half of a run: load rows (file format, column mapping, max_samples), format and mask them, hold out test_size — one path for `train`, `data preview` and the library.
using TuneSharp.Data;
using TuneSharp.Data.Formatting;
using TuneSharp.Data.Loading;
using TuneSharp.Models.Loading;
using TuneSharp.Tokenizers;
using TuneSharp.Training.Config;
using TuneSharp.Training.Formatting;
using TuneSharp.Training.Sft;

namespace TuneSharp.Training.Runs;

/// <summary>Training and evaluation examples as the trainer sees them (ids and labels, −100 where not trained).</summary>
public sealed record RunData(IReadOnlyList<TokenizedExample> Train, IReadOnlyList<TokenizedExample>? Eval)
{
    /// <summary>True when dataset.format is tokenized (rows already hold input_ids / labels; no tokenizer needed).</summary>
    public static bool IsTokenized(RunConfig config) => config.Dataset.Format.Trim().Equals("tokenized", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The tokenizer of a run: tokenizer.path, else the model folder (or the .gguf file's vocabulary), with
    /// tokenizer.pad_token applied (an unknown token is a ConfigException naming the key).
    /// </summary>
    public static Tokenizer LoadTokenizer(RunConfig config, string tokenizerSource)
    {
        var tok = TokenizerFiles.FromFile(tokenizerSource);
        if (config.Tokenizer.PadToken is { Length: > 0 } pad)
        {
            if (tok.TokenToId(pad) is null)
                throw new ConfigException($"tokenizer.pad_token '{pad}' is not in the vocabulary of {tokenizerSource}; pick an existing token (e.g. the EOS token '{tok.EosToken}') or leave it unset");
            tok.SetPadToken(pad);
        }
        tok.PaddingSide = config.Tokenizer.PaddingSide;
        return tok;
    }

    /// <summary>Where the tokenizer comes from: tokenizer.path, else the model folder, else the .gguf model file.</summary>
    public static string TokenizerSource(RunConfig config)
    {
        if (config.Tokenizer.Path is { Length: > 0 } t) return t;
        var model = config.Model.NameOrPath ?? throw new ConfigException("no tokenizer: set tokenizer.path or model.name_or_path (--tokenizer DIR or --model DIR)");
        return model;
    }

    /// <summary>The formatter for dataset.format (not tokenized): templates, chat template, completion-only loss, max_seq_length.</summary>
    public static PromptFormatter CreateFormatter(RunConfig config, Tokenizer tokenizer, string tokenizerSource)
    {
        var d = config.Dataset;
        var kind = PromptFormatOptions.ParseKind(d.Format);
        ChatTemplate? chat = null;
        if (kind == PromptFormatKind.Chat)
        {
            string dir = Directory.Exists(tokenizerSource) ? tokenizerSource : Path.GetDirectoryName(Path.GetFullPath(tokenizerSource))!;
            chat = ChatTemplateSetting.Resolve(config.Tokenizer.ChatTemplate, config.SourcePath, dir, tokenizer)
                ?? throw new ConfigException($"dataset.format chat needs a chat template, but {tokenizerSource} has none: set tokenizer.chat_template "
                    + "(a .jinja file or the template text; --chat-template FILE) or use format alpaca / completion");
        }
        return new PromptFormatter(tokenizer, new PromptFormatOptions
        {
            Kind = kind,
            PromptTemplate = d.Template,
            // response_template is the {field} template of the custom format and TRL's response marker otherwise.
            ResponseTemplate = kind == PromptFormatKind.Custom ? d.ResponseTemplate : null,
            ResponseMarker = kind == PromptFormatKind.Custom ? null : d.ResponseTemplate,
            InstructionMarker = d.InstructionTemplate,
            ChatTemplate = chat,
            CompletionOnly = config.Training.CompletionOnlyLoss,
            // Packing concatenates whole examples and cuts rows of max_seq_length (TRL packs untruncated examples), so
            // examples are truncated only when not packing.
            MaxSeqLength = config.Training.Packing ? 0 : config.Training.MaxSeqLength,
        });
    }

    /// <summary>
    /// Rows of one split of <paramref name="paths"/> (files, folders, globs; newline-separated) or of dataset.data_files,
    /// as the formatter sees them: dataset.file_format, then dataset.columns renames.
    /// </summary>
    public static Dataset LoadRows(RunConfig config, string? paths, string split)
    {
        var d = config.Dataset;
        var ds = DatasetFiles.LoadSplit(DatasetSources.SplitList(paths), split, DatasetSources.ParseDataFiles(d.DataFiles), ConfigFolder(config),
            DatasetFiles.ParseFormat(d.FileFormat));
        foreach (var (to, from) in d.Columns) ds = ds.RenameColumns(new Dictionary<string, string> { [from] = to });
        return ds;
    }

    /// <summary>The same rows as <see cref="LoadRows"/>, streamed with their file and row number (data preview / stats on large files).</summary>
    public static IEnumerable<(string File, long Row, System.Text.Json.Nodes.JsonObject Value)> StreamRows(RunConfig config, string? paths, string split)
    {
        var d = config.Dataset;
        var rows = DatasetFiles.StreamSplit(DatasetSources.SplitList(paths), split, DatasetSources.ParseDataFiles(d.DataFiles), ConfigFolder(config),
            DatasetFiles.ParseFormat(d.FileFormat));
        if (d.Columns.Count == 0) return rows;
        var from = d.Columns.ToDictionary(kv => kv.Value, kv => kv.Key, StringComparer.Ordinal);
        return rows.Select(r =>
        {
            var renamed = new System.Text.Json.Nodes.JsonObject();
            foreach (var (k, v) in r.Value) renamed[from.TryGetValue(k, out var to) ? to : k] = v?.DeepClone();
            return (r.File, r.Row, renamed);
        });
    }

    private static string? ConfigFolder(RunConfig config) =>
        config.SourcePath is { } sp && File.Exists(sp) ? Path.GetDirectoryName(Path.GetFullPath(sp)) : null;

    /// <summary>
    /// The max_samples subset of <paramref name="count"/> rows: with training.shuffle the first N of a permutation
    /// seeded by training.seed (a random subset, in that order), else the first N; null when all rows are kept.
    /// </summary>
    public static int[]? SampleIndices(RunConfig config, int count)
    {
        int n = config.Dataset.MaxSamples;
        if (n < 0) throw new ConfigException($"dataset.max_samples must be ≥ 0 (0 = all rows), got {n}");
        if (n == 0 || n >= count) return null;
        return config.Training.Shuffle
            ? SeededPermutation.Create(count, config.Training.Seed)[..n]
            : Enumerable.Range(0, n).ToArray();
    }

    /// <summary>Loads, formats and splits the run's data. <paramref name="tokenizer"/> may be null only for format tokenized.</summary>
    public static RunData Load(RunConfig config, Tokenizer? tokenizer, string tokenizerSource, int vocabSize, Action<string>? warn = null)
    {
        var d = config.Dataset;
        if (string.IsNullOrWhiteSpace(d.Path) && d.DataFiles.Count == 0) throw new ConfigException("no data: set dataset.path or dataset.data_files (--data FILE)");
        bool tokenized = IsTokenized(config);
        PromptFormatter? formatter = null;
        if (!tokenized) formatter = CreateFormatter(config, tokenizer ?? throw new ArgumentNullException(nameof(tokenizer)), tokenizerSource);

        List<TokenizedExample> Load(string? path, string split, bool sample)
        {
            if (tokenized)
            {
                var rows = TokenizedJsonl.Load(path ?? throw new ConfigException("dataset.format tokenized reads one JSONL file: set dataset.path"), vocabSize);
                return sample && SampleIndices(config, rows.Count) is { } keep ? keep.Select(i => rows[i]).ToList() : rows;
            }
            var ds = LoadRows(config, path, split);
            if (sample && SampleIndices(config, ds.Count) is { } pick) ds = ds.Select(pick);
            return FormattedData.ToTokenized(formatter!.FormatAll(ds, warn).Examples);
        }

        var all = Load(d.Path, d.Split, sample: true);
        List<TokenizedExample>? eval = null;
        if (d.EvalPath != null) eval = Load(d.EvalPath, "train", sample: false);
        else if (d.EvalSplit != null) eval = Load(d.Path, d.EvalSplit, sample: false);
        else if (d.TestSize > 0)
        {
            int n = d.TestSize >= 1 ? (int)d.TestSize : (int)Math.Round(all.Count * d.TestSize);
            if (n <= 0 || n >= all.Count)
                throw new ConfigException($"dataset.test_size {d.TestSize} leaves {all.Count - n} training and {n} evaluation rows of {all.Count}; use a fraction in (0, 1) or a count below the row count");
            var order = SeededPermutation.Create(all.Count, config.Training.Seed);
            eval = order.Take(n).Select(i => all[i]).ToList();
            all = order.Skip(n).Select(i => all[i]).ToList();
        }
        return new RunData(all, eval);
    }
}
