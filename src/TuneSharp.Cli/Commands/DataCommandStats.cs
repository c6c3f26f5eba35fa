// `tunesharp data stats`: rows, token-length percentiles and histogram PNG, truncation, duplicates, language mix.
using System.CommandLine;
using System.Text.Json.Nodes;
using TuneSharp.Data.Statistics;
using TuneSharp.Data.Tokenizers;

namespace TuneSharp.Cli.Commands;

public static partial class DataCommand
{
    private static Command Stats()
    {
        var flags = new FormatFlags();
        var plot = new Option<string?>("--plot") { Description = "Write the token-length histogram to this PNG" };
        var json = new Option<bool>("--json") { Description = "Print the numbers as one JSON object" };
        var cmd = new Command("stats", "Dataset statistics: rows, token lengths (percentiles, histogram PNG), truncation at max_seq_length, duplicates, language mix");
        flags.AddTo(cmd);
        cmd.Options.Add(plot);
        cmd.Options.Add(json);
        cmd.SetAction(p =>
        {
            var (formatter, tokDir, data) = flags.Build(p);
            var coverage = new TokenizerCoverage(formatter.Tokenizer);
            var builder = new DatasetStatisticsBuilder(formatter.Options.MaxSeqLength);
            string? first = null;
            foreach (var s in formatter.FormatStream(data, coverage, w => Console.Error.WriteLine("warning: " + w), both: true))
            {
                first ??= s.File;
                builder.Add(s.Value, s.Untruncated, s.Example);
            }
            var stats = builder.Build(coverage.UnknownCharacters);
            if (stats.Rows == 0) throw new TuneSharp.Data.DataFormatException("the dataset has no rows; check the path, split and file format");
            if (p.GetValue(plot) is { } png)
                LengthHistogram.Save(stats, png, $"{Path.GetFileName(first)}: {stats.Rows} rows, tokenizer {Path.GetFileName(Path.GetFullPath(tokDir).TrimEnd('/'))}");
            if (p.GetValue(json))
            {
                var o = new JsonObject
                {
                    ["rows"] = stats.Rows, ["tokens"] = stats.TotalTokens, ["trained_tokens"] = stats.TrainedTokens,
                    ["min"] = stats.TokenLengths.Min(), ["p50"] = stats.Percentile(50), ["p90"] = stats.Percentile(90), ["p95"] = stats.Percentile(95),
                    ["p99"] = stats.Percentile(99), ["max"] = stats.TokenLengths.Max(), ["max_seq_length"] = stats.MaxSeqLength,
                    ["truncated_rows"] = stats.TruncatedRows, ["responses_truncated_away"] = stats.ResponsesTruncatedAway,
                    ["duplicate_rows"] = stats.DuplicateRows, ["mixed_script_rows"] = stats.MixedScriptRows,
                    ["missing_markers"] = stats.MissingMarkers, ["unknown_characters"] = stats.UnknownCharacters,
                    ["languages"] = new JsonObject(stats.Languages.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
                };
                Console.Out.WriteLine(o.ToJsonString());
            }
            else
            {
                Console.Out.WriteLine(stats.ToText());
                var report = coverage.Report();
                if (report.Length > 0) Console.Out.WriteLine(report);
                if (p.GetValue(plot) is { } written) Console.Out.WriteLine($"histogram → {written}");
            }
            return 0;
        });
        return cmd;
    }
}
