// `tunesharp data convert|augment`: exam/glossary/transcript material → instruction rows, file formats → JSONL or
// Parquet, Hangul obfuscation copies. Flags only; the converters live in TuneSharp.Data.
using System.CommandLine;
using System.Text.Json.Nodes;
using TuneSharp.Data;
using TuneSharp.Data.Augmentation;
using TuneSharp.Data.Converters;
using TuneSharp.Data.Loading;
using TuneSharp.Data.Writing;

namespace TuneSharp.Cli.Commands;

public static partial class DataCommand
{
    private static Command Convert()
    {
        var kind = new Argument<string?>("converter")
        {
            Description = "exam (질문:/정답: blocks, numbered questions), glossary (term/kor_term/eng_term + description tables), llm-extract (transcripts → Q/A via a chat endpoint); omit to convert the file format only",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var input = new Option<string[]>("--input", "-i") { Description = "Input file(s), folder or glob; repeat for several", Required = true, AllowMultipleArgumentsPerToken = true };
        var output = new Option<string>("--output", "-o") { Description = "Output .jsonl or .parquet", Required = true };
        var split = new Option<string>("--split") { Description = "Format conversion: the split of a dataset folder", DefaultValueFactory = _ => "train" };
        var term = new Option<string?>("--term-column") { Description = "glossary: term column (default: found among term, kor_term, 용어, …)" };
        var english = new Option<string?>("--english-column") { Description = "glossary: English term column (default: found among eng_term, english, 영문, …)" };
        var desc = new Option<string?>("--description-column") { Description = "glossary: description column (default: found among description, definition, 설명, …)" };
        var directions = new Option<string>("--directions") { Description = "glossary: both, forward (term → description) or reverse", DefaultValueFactory = _ => "both" };
        var endpoint = new Option<string?>("--endpoint") { Description = "llm-extract: OpenAI-compatible base URL, e.g. http://localhost:8000/v1" };
        var llm = new Option<string>("--llm-model") { Description = "llm-extract: model name", DefaultValueFactory = _ => "gpt-4o-mini" };
        var keyEnv = new Option<string>("--api-key-env") { Description = "llm-extract: environment variable holding the API key (never printed); it must be set, or pass '' for an endpoint without authentication", DefaultValueFactory = _ => "OPENAI_API_KEY" };
        var chunk = new Option<int>("--chunk-chars") { Description = "llm-extract: characters per request", DefaultValueFactory = _ => 3000 };
        var timeout = new Option<double>("--request-timeout") { Description = "llm-extract: seconds to wait for one reply before the chunk fails as a network timeout", DefaultValueFactory = _ => 120 };
        var cmd = new Command("convert", "Convert domain material into instruction/input/output rows, or any dataset file into JSONL or Parquet");
        cmd.Arguments.Add(kind);
        foreach (var o in new Option[] { input, output, split, term, english, desc, directions, endpoint, llm, keyEnv, chunk, timeout }) cmd.Options.Add(o);
        cmd.SetAction(p =>
        {
            var inputs = p.GetValue(input)!;
            string outPath = p.GetValue(output)!;
            if (p.GetValue(kind) == "llm-extract")
                return ExtractWithLlm(DatasetSources.Resolve(inputs).Values.SelectMany(f => f).Distinct().ToArray(), outPath, p.GetValue(endpoint), p.GetValue(llm)!,
                    p.GetValue(keyEnv) ?? "", p.GetValue(chunk), p.GetValue(timeout));
            var warnings = 0;
            void Warn(string s) { warnings++; Console.Error.WriteLine("warning: " + s); }
            IReadOnlyList<string> Files() => DatasetSources.Resolve(inputs).Values.SelectMany(f => f).Distinct().ToArray();
            IReadOnlyList<JsonObject> rows = p.GetValue(kind) switch
            {
                null or "" or "format" => DatasetFiles.LoadSplit(inputs, p.GetValue(split)!).Rows,
                "exam" => Files().SelectMany(f => ExamConverter.ConvertFile(f, Warn)).ToList(),
                "glossary" => GlossaryConverter.ConvertFiles(Files(), p.GetValue(term), p.GetValue(desc), p.GetValue(english), ParseDirections(p.GetValue(directions)!), Warn),
                var other => throw new UsageException($"unknown converter '{other}'{(Suggest.Closest(other!, ["exam", "glossary", "llm-extract"]) is { } s ? $" (did you mean '{s}'?)" : "")}; use exam, glossary or llm-extract, or none to convert the format"),
            };
            if (rows.Count == 0) throw new DataFormatException("the converter found nothing to convert; check the input's markers/columns", string.Join(", ", inputs));
            DatasetWriter.Write(outPath, rows);
            Console.Out.WriteLine($"{rows.Count} rows → {outPath}{(warnings > 0 ? $" ({warnings} warnings above: those rows were skipped)" : "")}");
            return 0;
        });
        return cmd;
    }

    private static GlossaryConverter.Directions ParseDirections(string s) => s.Trim().ToLowerInvariant() switch
    {
        "both" => GlossaryConverter.Directions.Both,
        "forward" or "term-to-description" => GlossaryConverter.Directions.Forward,
        "reverse" or "description-to-term" => GlossaryConverter.Directions.Reverse,
        _ => throw new UsageException($"--directions '{s}': use both, forward or reverse"),
    };

    /// <summary>
    /// llm-extract: appends each finished chunk to the JSONL output and resumes a killed run (LlmExtractJob); progress
    /// and skipped chunks go to stderr. Everything a request needs is checked before the first one is sent.
    /// </summary>
    private static int ExtractWithLlm(IReadOnlyList<string> files, string outPath, string? endpoint, string model, string keyEnv, int chunkChars, double timeoutSeconds)
    {
        if (string.IsNullOrWhiteSpace(endpoint)) throw new UsageException("llm-extract needs --endpoint URL (an OpenAI-compatible /v1 base URL)");
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new UsageException($"--endpoint '{endpoint}' is not an http(s) URL; give an OpenAI-compatible /v1 base URL, e.g. http://127.0.0.1:8000/v1");
        if (!outPath.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
            throw new UsageException($"llm-extract appends rows as chunks finish, so --output must be a .jsonl file (got {outPath}); convert it afterwards with `tunesharp data convert -i OUT.jsonl -o OUT.parquet`");
        if (chunkChars < 1) throw new UsageException($"--chunk-chars must be ≥ 1 (got {chunkChars})");
        if (!(timeoutSeconds > 0) || timeoutSeconds > 86400) throw new UsageException($"--request-timeout must be in (0, 86400] seconds (got {timeoutSeconds})");
        string? key = null;
        if (keyEnv.Length > 0)
        {
            key = Environment.GetEnvironmentVariable(keyEnv);
            if (string.IsNullOrEmpty(key))
                throw new UsageException($"llm-extract: the environment variable {keyEnv} (--api-key-env) is not set, so requests would go out without an API key. " +
                                         $"Set it (export {keyEnv}=…), name another variable with --api-key-env NAME, or pass --api-key-env '' for an endpoint without authentication (e.g. a local vLLM server)");
        }
        if (files.Count == 0) throw new UsageException("llm-extract: --input matched no files");
        var documents = files.Select(f => (f, File.ReadAllText(f))).ToList();
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan }; // the extractor times each request itself
        var extractor = new LlmQaExtractor(http, new LlmQaExtractorOptions
        {
            Endpoint = endpoint, Model = model, ApiKey = key, ApiKeyEnv = keyEnv.Length > 0 ? keyEnv : null, ChunkChars = chunkChars,
            RequestTimeout = TimeSpan.FromSeconds(timeoutSeconds),
        }, s => Console.Error.WriteLine("warning: " + s));
        var summary = LlmExtractJob.RunAsync(extractor, documents, outPath, s => Console.Error.WriteLine("llm-extract: " + s)).GetAwaiter().GetResult();
        if (summary.RowsInOutput == 0)
            throw new DataFormatException($"no reply of the endpoint held usable Q/A pairs{(summary.Failed > 0 ? $" and {summary.Failed} chunks failed" : "")} (see the warnings above); check --llm-model and the replies' format", string.Join(", ", files));
        string resumed = summary.Resumed > 0 ? $" ({summary.Resumed} done before)" : "";
        string failed = summary.Failed > 0 ? $"; {summary.Failed} chunks failed (warnings above): rerun the same command to retry them" : "";
        Console.Out.WriteLine($"{summary.RowsWritten} rows from {summary.Done} chunks{resumed} → {outPath} ({summary.RowsInOutput} rows, {summary.Chunks} chunks in all){failed}");
        return 0;
    }

    private static Command Augment()
    {
        var input = new Option<string[]>("--input", "-i") { Description = "Dataset file(s), folder or glob", Required = true, AllowMultipleArgumentsPerToken = true };
        var output = new Option<string>("--output", "-o") { Description = "Output .jsonl or .parquet", Required = true };
        var column = new Option<string>("--column") { Description = "Column holding the clean text to obfuscate", DefaultValueFactory = _ => "text" };
        var target = new Option<string>("--target-column") { Description = "Column that receives the obfuscated text (the clean text stays in --column)", DefaultValueFactory = _ => "obfuscated" };
        var keep = new Option<bool>("--keep-originals") { Description = "Keep every original row before its copies, as the review-restoration seed trains on both (default true; --keep-originals false to drop them)", DefaultValueFactory = _ => true };
        var ratio = new Option<double?>("--ratio") { Description = "Obfuscated copies per row on average, e.g. 4 (10k → 50k rows with the originals) or 0.5" };
        var copies = new Option<int>("--copies") { Description = "Obfuscated copies per row (when --ratio is not given)", DefaultValueFactory = _ => 1 };
        var seed = new Option<ulong>("--seed") { Description = "Random seed", DefaultValueFactory = _ => 42UL };
        var fin = new Option<double>("--final-insertion-rate") { Description = "Probability of inserting a random final consonant", DefaultValueFactory = _ => 0.3 };
        var liaison = new Option<double>("--liaison-rate") { Description = "Probability of liaison across syllables", DefaultValueFactory = _ => 0.5 };
        var similar = new Option<double>("--similar-jamo-rate") { Description = "Probability of substituting a similar-sounding jamo", DefaultValueFactory = _ => 0.2 };
        var cmd = new Command("augment", "Multiply Korean text by Hangul obfuscation (seeded), keeping the originals for restoration training");
        foreach (var o in new Option[] { input, output, column, target, keep, ratio, copies, seed, fin, liaison, similar }) cmd.Options.Add(o);
        cmd.SetAction(p =>
        {
            var opts = new HangulObfuscationOptions { FinalInsertionRate = p.GetValue(fin), LiaisonRate = p.GetValue(liaison), SimilarJamoRate = p.GetValue(similar) };
            opts.Validate();
            int n = p.GetValue(copies);
            if (n < 0) throw new UsageException($"--copies must be ≥ 0 (got {n})");
            double r = p.GetValue(ratio) ?? n;
            var ds = DatasetFiles.LoadSplit(p.GetValue(input)!, "train");
            var rows = DatasetAugmenter.Augment(ds, p.GetValue(column)!, p.GetValue(target)!, new HangulObfuscator(opts), p.GetValue(seed), r,
                p.GetValue(keep), w => Console.Error.WriteLine("warning: " + w));
            if (rows.Count == 0) throw new DataFormatException("the dataset has no rows to augment", ds.Source);
            DatasetWriter.Write(p.GetValue(output)!, rows, ds.Source);
            Console.Out.WriteLine($"{ds.Count} rows{(p.GetValue(keep) ? " kept" : "")} + obfuscated copies (ratio {r}) → {rows.Count} rows → {p.GetValue(output)}");
            return 0;
        });
        return cmd;
    }
}
