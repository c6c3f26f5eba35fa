// `tunesharp data preview|stats|convert|augment`: look at formatted training examples (with the ids train sees), dataset
// statistics, conversion of domain material and formats, augmentation. Flags only; the work is in TuneSharp.Data.
using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using TuneSharp.Data;
using TuneSharp.Data.Formatting;
using TuneSharp.Data.Loading;
using TuneSharp.Data.Tokenizers;
using TuneSharp.Tokenizers;
using TuneSharp.Training.Config;
using TuneSharp.Training.Runs;

namespace TuneSharp.Cli.Commands;

[CliVerb(30)]
public static partial class DataCommand
{
    public static Command Create()
    {
        var command = new Command("data", "Inspect, convert and augment datasets");
        command.Subcommands.Add(Preview());
        command.Subcommands.Add(Stats());
        command.Subcommands.Add(Convert());
        command.Subcommands.Add(Augment());
        return command;
    }

    /// <summary>The flags preview and stats share: where the data is and how it becomes token ids.</summary>
    private sealed class FormatFlags
    {
        public readonly Option<string?> Config = new("--config") { Description = "Take dataset/tokenizer/model settings from a run config YAML (flags below override it)" };
        public readonly Option<string[]> Data = new("--data") { Description = "Dataset: file, folder (HF dataset folder), glob; repeat for several", AllowMultipleArgumentsPerToken = true };
        public readonly Option<string?> Split = new("--split") { Description = "Split of the data to use (default train)" };
        public readonly Option<string?> FileFormat = new("--file-format") { Description = "auto (by extension), json, jsonl, csv, tsv, text, text-document, parquet, arrow" };
        public readonly Option<string?> Format = new("--format") { Description = "alpaca, chat, completion, text or custom (default alpaca)" };
        public readonly Option<string?> Tokenizer = new("--tokenizer") { Description = "Tokenizer folder (tokenizer.json [+ tokenizer_config.json])" };
        public readonly Option<string?> Model = new("--model") { Description = "Model folder whose tokenizer to use (when --tokenizer is not given)" };
        public readonly Option<string?> Template = new("--template") { Description = "custom format: prompt template with {field} placeholders" };
        public readonly Option<string?> Response = new("--response-template") { Description = "custom format: response template with {field}s; other formats: the response marker (text, or ids like [14711, 6075, 512]) masking everything up to it, as TRL's DataCollatorForCompletionOnlyLM" };
        public readonly Option<string?> Instruction = new("--instruction-template") { Description = "Multi-turn marker masking: the marker starting each human turn (with --response-template)" };
        public readonly Option<string?> ChatTemplate = new("--chat-template") { Description = "chat format: a .jinja file to use instead of the tokenizer's template" };
        public readonly Option<string[]> Columns = new("--column") { Description = "Map a column to the name the format expects: --column instruction=Q (repeatable)", AllowMultipleArgumentsPerToken = true };
        public readonly Option<int?> MaxLen = new("--max-seq-length") { Description = "Truncate to this many tokens (warns when a response is cut away)" };
        public readonly Option<bool> All = new("--all-tokens") { Description = "Train on every token (completion_only_loss false)" };

        public void AddTo(Command cmd)
        {
            foreach (var o in new Option[] { Config, Data, Split, FileFormat, Format, Tokenizer, Model, Template, Response, Instruction, ChatTemplate, Columns, MaxLen, All })
                cmd.Options.Add(o);
        }

        /// <summary>
        /// The formatter, the tokenizer folder and the rows (streamed, columns mapped) these flags describe. Flags become
        /// key=value overrides of the run config, and the library's RunData builds everything, so preview and stats read
        /// a config exactly as `train` does.
        /// </summary>
        public (PromptFormatter Formatter, string TokenizerDir, IEnumerable<(string File, long Row, JsonObject Value)> Rows) Build(ParseResult p)
        {
            var overrides = new List<string>();
            void Set(string key, string? value) { if (value != null) overrides.Add($"{key}='{value.Replace("'", "''")}'"); }
            Set("dataset.file_format", p.GetValue(FileFormat));
            Set("dataset.format", p.GetValue(Format));
            Set("dataset.template", p.GetValue(Template));
            Set("dataset.response_template", p.GetValue(Response));
            Set("dataset.instruction_template", p.GetValue(Instruction));
            Set("tokenizer.chat_template", p.GetValue(ChatTemplate) is { } ct ? Path.GetFullPath(ct) : null);
            if (p.GetValue(MaxLen) is int ml) Set("training.max_seq_length", ml.ToString(CultureInfo.InvariantCulture));
            if (p.GetValue(All)) Set("training.completion_only_loss", "false");
            foreach (var c in p.GetValue(Columns) ?? [])
            {
                var parts = c.Split('=', 2);
                if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
                    throw new UsageException($"--column '{c}': write it as target=source, e.g. --column instruction=Q");
                Set($"dataset.columns.{parts[0]}", parts[1]);
            }
            var rc = p.GetValue(Config) is { } cf ? RunConfig.Load(cf, overrides) : RunConfig.FromOverrides(overrides);
            if (p.GetValue(Data) is { Length: > 0 } given) rc.Dataset.Path = string.Join('\n', given.Select(Path.GetFullPath));
            if (p.GetValue(Tokenizer) is { } t) rc.Tokenizer.Path = Path.GetFullPath(t);
            else if (p.GetValue(Model) is { } m) rc.Tokenizer.Path = Path.GetFullPath(m);
            if (DatasetSources.SplitList(rc.Dataset.Path).Count == 0 && rc.Dataset.DataFiles.Count == 0)
                throw new UsageException("no dataset: give --data FILE|DIR|GLOB (or --config with dataset.path)");
            if (rc.Tokenizer.Path == null && rc.Model.NameOrPath == null)
                throw new UsageException("no tokenizer: give --tokenizer DIR or --model DIR (the counts and masks depend on it)");
            string tokDir = RunData.TokenizerSource(rc);
            var formatter = RunData.CreateFormatter(rc, RunData.LoadTokenizer(rc, tokDir), tokDir);
            return (formatter, tokDir, RunData.StreamRows(rc, rc.Dataset.Path, p.GetValue(Split) ?? rc.Dataset.Split));
        }
    }

    private static Command Preview()
    {
        var flags = new FormatFlags();
        var rows = new Option<int>("-n", "--rows") { Description = "How many rows to show (0 with --json: all)", DefaultValueFactory = _ => 3 };
        var json = new Option<bool>("--json") { Description = "One JSON object per row on stdout: input_ids and labels (−100 where not trained), exactly what train sees" };
        var cmd = new Command("preview", "Show formatted examples with the trained (response) spans marked [[like this]], token counts and tokenizer coverage");
        flags.AddTo(cmd);
        cmd.Options.Add(rows);
        cmd.Options.Add(json);
        cmd.SetAction(p =>
        {
            var (formatter, tokDir, data) = flags.Build(p);
            var tok = formatter.Tokenizer;
            bool asJson = p.GetValue(json);
            int n = Math.Max(0, p.GetValue(rows));
            if (asJson && p.GetResult(rows) is null or { Implicit: true }) n = 0; // --json alone: every row
            var coverage = new TokenizerCoverage(tok);
            void Warn(string w) => Console.Error.WriteLine("warning: " + w);
            long count = 0, tokens = 0, trained = 0, maxLen = 0, truncatedAway = 0, missing = 0;
            foreach (var s in formatter.FormatStream(data, coverage, Warn))
            {
                var e = s.Example;
                count++;
                tokens += e.Length;
                trained += e.TrainedTokens;
                maxLen = Math.Max(maxLen, e.Length);
                if (e.ResponseTruncatedAway) truncatedAway++;
                if (e.MissingMarker != null) missing++;
                if (asJson)
                {
                    if (n > 0 && count > n) continue;
                    var o = new JsonObject
                    {
                        ["file"] = s.File, ["row"] = s.Row,
                        ["input_ids"] = new JsonArray(e.InputIds.Select(i => (JsonNode)i).ToArray()),
                        ["labels"] = new JsonArray(e.Labels.Select(i => (JsonNode)i).ToArray()),
                        ["length"] = e.Length, ["trained_tokens"] = e.TrainedTokens,
                    };
                    if (e.MissingMarker != null) o["missing_marker"] = e.MissingMarker;
                    if (e.TruncatedTokens > 0) o["truncated_tokens"] = e.TruncatedTokens;
                    Console.Out.WriteLine(o.ToJsonString());
                }
                else if (count <= n)
                {
                    Console.Out.WriteLine($"── {RowLocation.Of(s.File, s.Row)}: {e.Length} tokens, {e.TrainedTokens} trained{(e.TruncatedTokens > 0 ? $", {e.TruncatedTokens} truncated" : "")}{(e.MissingMarker != null ? $", {e.MissingMarker} marker not found" : "")} ──");
                    Console.Out.WriteLine(e.Describe(tok));
                }
            }
            if (count == 0) throw new DataFormatException("the dataset has no rows; check the path, split and file format");
            if (missing > 3) Warn($"{missing} of {count} rows have no marker; they teach nothing.");
            if (truncatedAway > 3) Warn($"{truncatedAway} of {count} rows lost their whole response to truncation.");
            var report = coverage.Report();
            if (report.Length > 0) Warn("tokenizer coverage: " + report.Replace("\n", "\nwarning: tokenizer coverage: ", StringComparison.Ordinal));
            var summary = string.Create(CultureInfo.InvariantCulture,
                $"── {count} rows, {tokens} tokens ({tokens / (double)count:F1} per row, max {maxLen}), {trained} trained; {truncatedAway} responses truncated away; " +
                $"{missing} rows without their marker; {coverage.UnknownCharacters} characters became unknown tokens; format {formatter.Options.Kind.ToString().ToLowerInvariant()}, tokenizer {tokDir}");
            (asJson ? Console.Error : Console.Out).WriteLine(summary);
            return 0;
        });
        return cmd;
    }

}
