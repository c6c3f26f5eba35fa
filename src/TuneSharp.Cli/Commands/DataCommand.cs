// `tunesharp data preview|convert|augment`: look at formatted training examples, convert domain material, multiply data.
using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using TuneSharp.Data;
using TuneSharp.Data.Augmentation;
using TuneSharp.Data.Converters;
using TuneSharp.Data.Formatting;
using TuneSharp.Data.Loading;
using TuneSharp.Tokenizers;
using TuneSharp.Training.Config;
using TuneSharp.Training.Formatting;

namespace TuneSharp.Cli.Commands;

[CliVerb(30)]
public static class DataCommand
{
    public static Command Create()
    {
        var command = new Command("data", "Inspect, convert and augment datasets");
        command.Subcommands.Add(Preview());
        command.Subcommands.Add(Convert());
        command.Subcommands.Add(Augment());
        return command;
    }

    private static Command Preview()
    {
        var config = new Option<string?>("--config") { Description = "Take dataset/tokenizer/model settings from a run config YAML (flags below override it)" };
        var data = new Option<string?>("--data") { Description = "Dataset file (JSON, JSONL, CSV, TSV, text)" };
        var fileFormat = new Option<string?>("--file-format") { Description = "auto (by extension), json, jsonl, csv, tsv, text, text-document" };
        var format = new Option<string?>("--format") { Description = "alpaca, chat, completion, text or custom (default alpaca)" };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Tokenizer folder (tokenizer.json [+ tokenizer_config.json])" };
        var model = new Option<string?>("--model") { Description = "Model folder whose tokenizer to use (when --tokenizer is not given)" };
        var template = new Option<string?>("--template") { Description = "custom format: prompt template with {field} placeholders" };
        var response = new Option<string?>("--response-template") { Description = "custom format: response template with {field} placeholders" };
        var chatTemplate = new Option<string?>("--chat-template") { Description = "chat format: a .jinja file to use instead of the tokenizer's template" };
        var columns = new Option<string[]>("--column") { Description = "Map a column to the name the format expects: --column instruction=Q (repeatable)", AllowMultipleArgumentsPerToken = true };
        var rows = new Option<int>("-n", "--rows") { Description = "How many rows to show", DefaultValueFactory = _ => 3 };
        var maxLen = new Option<int?>("--max-seq-length") { Description = "Truncate to this many tokens (warns when a response is cut away)" };
        var all = new Option<bool>("--all-tokens") { Description = "Train on every token (completion_only_loss false)" };
        var cmd = new Command("preview", "Show formatted examples with the trained (response) spans marked [[like this]], and token counts");
        foreach (var o in new Option[] { config, data, fileFormat, format, tokenizer, model, template, response, chatTemplate, columns, rows, maxLen, all }) cmd.Options.Add(o);
        cmd.SetAction(p => DataCommandSupport.Guard(() =>
        {
            var rc = p.GetValue(config) is { } cf ? RunConfig.Load(cf) : new RunConfig();
            var d = rc.Dataset;
            string path = p.GetValue(data) ?? d.Path ?? throw new ArgumentException("no dataset: give --data FILE (or --config with dataset.path)");
            string kindName = p.GetValue(format) ?? (p.GetValue(config) != null ? d.Format : "alpaca");
            string tokDir = p.GetValue(tokenizer) ?? p.GetValue(model) ?? rc.Tokenizer.Path ?? rc.Model.NameOrPath
                ?? throw new ArgumentException("no tokenizer: give --tokenizer DIR or --model DIR (the counts and masks depend on it)");
            var tok = Tokenizer.FromPretrained(tokDir);
            var kind = PromptFormatOptions.ParseKind(kindName);
            ChatTemplate? chat = null;
            if (kind == PromptFormatKind.Chat)
            {
                var jinja = p.GetValue(chatTemplate);
                chat = jinja != null ? ChatTemplateSetting.Resolve(jinja, null, tokDir, tok)
                    : ChatTemplateSetting.Resolve(rc.Tokenizer.ChatTemplate, p.GetValue(config), tokDir, tok);
                chat ??= ChatTemplate.FromDirectory(tokDir);
            }
            var ds = DatasetFiles.Load(path, DatasetFiles.ParseFormat(p.GetValue(fileFormat) ?? d.FileFormat));
            var mapping = new Dictionary<string, string>(d.Columns);
            foreach (var c in p.GetValue(columns) ?? [])
            {
                var parts = c.Split('=', 2);
                if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
                    throw new ArgumentException($"--column '{c}': write it as target=source, e.g. --column instruction=Q");
                mapping[parts[0]] = parts[1];
            }
            foreach (var (to, from) in mapping) ds = ds.RenameColumns(new Dictionary<string, string> { [from] = to });
            var formatter = new PromptFormatter(tok, new PromptFormatOptions
            {
                Kind = kind, PromptTemplate = p.GetValue(template) ?? d.Template, ResponseTemplate = p.GetValue(response) ?? d.ResponseTemplate,
                ChatTemplate = chat, CompletionOnly = !p.GetValue(all) && rc.Training.CompletionOnlyLoss,
                MaxSeqLength = p.GetValue(maxLen) ?? (p.GetValue(config) != null ? rc.Training.MaxSeqLength : 0),
            });
            int n = Math.Max(0, p.GetValue(rows));
            var shown = ds.Take(n);
            var formatted = formatter.FormatAll(ds.Count == 0 ? ds : shown, w => Console.Error.WriteLine("warning: " + w));
            for (int i = 0; i < formatted.Count; i++)
            {
                var e = formatted.Examples[i];
                Console.Out.WriteLine($"── row {i + 1}: {e.Length} tokens, {e.TrainedTokens} trained{(e.TruncatedTokens > 0 ? $", {e.TruncatedTokens} truncated" : "")} ──");
                Console.Out.WriteLine(e.Describe(tok));
            }
            var everything = formatter.FormatAll(ds, _ => { });
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"── {everything.Count} rows, {everything.TotalTokens} tokens ({everything.TotalTokens / (double)Math.Max(1, everything.Count):F1} per row, max {everything.Examples.Max(e => e.Length)}), " +
                $"{everything.TrainedTokens} trained; {everything.ResponsesTruncatedAway} responses truncated away; format {kind.ToString().ToLowerInvariant()}, tokenizer {tokDir}"));
            return 0;
        }));
        return cmd;
    }

    private static Command Convert()
    {
        var kind = new Argument<string>("converter") { Description = "exam (질문:/정답: blocks), glossary (term/description table) or llm-extract (transcripts → Q/A via a chat endpoint)" };
        var input = new Option<string>("--input", "-i") { Description = "Input file (exam/transcript text, or a glossary JSON/JSONL/CSV/TSV)", Required = true };
        var output = new Option<string>("--output", "-o") { Description = "Output JSONL (instruction/input/output rows)", Required = true };
        var term = new Option<string>("--term-column") { Description = "glossary: term column", DefaultValueFactory = _ => "term" };
        var desc = new Option<string>("--description-column") { Description = "glossary: description column", DefaultValueFactory = _ => "description" };
        var endpoint = new Option<string?>("--endpoint") { Description = "llm-extract: OpenAI-compatible base URL, e.g. http://localhost:8000/v1" };
        var llm = new Option<string>("--llm-model") { Description = "llm-extract: model name", DefaultValueFactory = _ => "gpt-4o-mini" };
        var keyEnv = new Option<string>("--api-key-env") { Description = "llm-extract: environment variable holding the API key", DefaultValueFactory = _ => "OPENAI_API_KEY" };
        var chunk = new Option<int>("--chunk-chars") { Description = "llm-extract: characters per request", DefaultValueFactory = _ => 3000 };
        var cmd = new Command("convert", "Convert domain material into instruction/input/output JSONL");
        cmd.Arguments.Add(kind);
        foreach (var o in new Option[] { input, output, term, desc, endpoint, llm, keyEnv, chunk }) cmd.Options.Add(o);
        cmd.SetAction(p => DataCommandSupport.Guard(() =>
        {
            string inPath = p.GetValue(input)!, outPath = p.GetValue(output)!;
            if (!File.Exists(inPath)) throw new FileNotFoundException($"{inPath}: input file not found");
            void Warn(string s) => Console.Error.WriteLine("warning: " + s);
            IReadOnlyList<JsonObject> rows = p.GetValue(kind) switch
            {
                "exam" => ExamConverter.Convert(File.ReadAllText(inPath), inPath, Warn),
                "glossary" => GlossaryConverter.Convert(DatasetFiles.Load(inPath), p.GetValue(term)!, p.GetValue(desc)!),
                "llm-extract" => ExtractWithLlm(inPath, p.GetValue(endpoint), p.GetValue(llm)!, p.GetValue(keyEnv)!, p.GetValue(chunk)),
                var other => throw new ArgumentException($"unknown converter '{other}'{(Suggest.Closest(other!, ["exam", "glossary", "llm-extract"]) is { } s ? $" (did you mean '{s}'?)" : "")}; use exam, glossary or llm-extract"),
            };
            if (rows.Count == 0) throw new DataFormatException("the converter found nothing to convert; check the input's markers/columns", inPath);
            new Dataset(rows.ToList(), inPath).SaveJsonl(outPath);
            Console.Out.WriteLine($"{rows.Count} rows → {outPath}");
            return 0;
        }));
        return cmd;
    }

    private static IReadOnlyList<JsonObject> ExtractWithLlm(string path, string? endpoint, string model, string keyEnv, int chunkChars)
    {
        if (string.IsNullOrWhiteSpace(endpoint)) throw new ArgumentException("llm-extract needs --endpoint URL (an OpenAI-compatible /v1 base URL)");
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(5) };
        var extractor = new LlmQaExtractor(http, new LlmQaExtractorOptions
        {
            Endpoint = endpoint, Model = model, ApiKey = Environment.GetEnvironmentVariable(keyEnv), ChunkChars = chunkChars,
        }, s => Console.Error.WriteLine(s));
        return extractor.ExtractAsync(File.ReadAllText(path), path).GetAwaiter().GetResult();
    }

    private static Command Augment()
    {
        var input = new Option<string>("--input", "-i") { Description = "Dataset file", Required = true };
        var output = new Option<string>("--output", "-o") { Description = "Output JSONL", Required = true };
        var column = new Option<string>("--column") { Description = "Column to obfuscate", DefaultValueFactory = _ => "text" };
        var target = new Option<string>("--target-column") { Description = "Column that receives the obfuscated text (the original stays in --column)", DefaultValueFactory = _ => "obfuscated" };
        var copies = new Option<int>("--copies") { Description = "Obfuscated variants per row", DefaultValueFactory = _ => 1 };
        var seed = new Option<ulong>("--seed") { Description = "Random seed", DefaultValueFactory = _ => 42UL };
        var fin = new Option<double>("--final-insertion-rate") { Description = "Probability of inserting a random final consonant", DefaultValueFactory = _ => 0.3 };
        var liaison = new Option<double>("--liaison-rate") { Description = "Probability of liaison across syllables", DefaultValueFactory = _ => 0.5 };
        var similar = new Option<double>("--similar-jamo-rate") { Description = "Probability of substituting a similar-sounding jamo", DefaultValueFactory = _ => 0.2 };
        var cmd = new Command("augment", "Multiply Korean text by Hangul obfuscation (seeded), keeping the original for restoration training");
        foreach (var o in new Option[] { input, output, column, target, copies, seed, fin, liaison, similar }) cmd.Options.Add(o);
        cmd.SetAction(p => DataCommandSupport.Guard(() =>
        {
            var opts = new HangulObfuscationOptions { FinalInsertionRate = p.GetValue(fin), LiaisonRate = p.GetValue(liaison), SimilarJamoRate = p.GetValue(similar) };
            opts.Validate();
            int n = p.GetValue(copies);
            if (n < 1) throw new ArgumentException($"--copies must be ≥ 1 (got {n})");
            var ds = DatasetFiles.Load(p.GetValue(input)!);
            string col = p.GetValue(column)!, tgt = p.GetValue(target)!;
            var ob = new HangulObfuscator(opts);
            var rng = new SplitMix64(p.GetValue(seed));
            var rows = new List<JsonObject>();
            for (int i = 0; i < ds.Count; i++)
            {
                string text = ds.GetString(i, col);
                for (int k = 0; k < n; k++)
                {
                    var row = (JsonObject)ds[i].DeepClone();
                    row[tgt] = ob.Obfuscate(text, rng);
                    rows.Add(row);
                }
            }
            if (rows.Count == 0) throw new DataFormatException("the dataset has no rows to augment", p.GetValue(input));
            new Dataset(rows, ds.Source).SaveJsonl(p.GetValue(output)!);
            Console.Out.WriteLine($"{ds.Count} rows × {n} → {rows.Count} rows → {p.GetValue(output)}");
            return 0;
        }));
        return cmd;
    }
}
