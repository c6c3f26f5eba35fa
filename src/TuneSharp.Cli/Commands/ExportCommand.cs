// `tunesharp export`: a model (+ optional PEFT adapter) to a merged HF folder, GGUF files in llama.cpp's types, or a
// GGUF LoRA adapter; checked against the adapter-on-base reference unless --no-check. Logic lives in TuneSharp.Export.
using System.CommandLine;
using TuneSharp.Export;
using TuneSharp.Export.Check;
using TuneSharp.Export.Gguf;
using TuneSharp.Export.Hf;
using TuneSharp.Export.Merge;
using TuneSharp.Models;
using TuneSharp.Tensors;
using TuneSharp.Tokenizers;

namespace TuneSharp.Cli.Commands;

[CliVerb(45)]
public static class ExportCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = "Base model: Hugging Face folder (config.json + *.safetensors)", Required = true };
        var adapter = new Option<string?>("--adapter") { Description = "PEFT LoRA adapter folder to merge (or to convert with --to gguf-adapter)" };
        var to = new Option<string>("--to") { Description = "hf | gguf | gguf-adapter", Required = true };
        var dtype = new Option<string>("--dtype") { Description = "--to hf: f32 | bf16 | f16", DefaultValueFactory = _ => "bf16" };
        var quant = new Option<string>("--quant") { Description = "--to gguf: f32,f16,bf16,q8_0,q4_0,q4_k_m,q5_k_m,q6_k (comma-separated: one file per type)", DefaultValueFactory = _ => "q8_0" };
        var output = new Option<string>("--out", "-o") { Description = "Output folder (hf; gguf with several types) or FILE.gguf", Required = true };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Tokenizer folder (default: the model folder)" };
        var shard = new Option<string>("--max-shard-size") { Description = "--to hf: largest safetensors shard (e.g. 5GB, 500MB)", DefaultValueFactory = _ => "5GB" };
        var noCheck = new Option<bool>("--no-check") { Description = "Skip the check against the adapter-on-base reference" };
        var check = new Option<bool>("--check") { Description = "Check the export (default)" };
        var modelfile = new Option<bool>("--ollama-modelfile") { Description = "--to gguf: write an Ollama Modelfile beside each GGUF" };
        var cmd = new Command("export", "Export a model (+ LoRA adapter) as a merged Hugging Face folder, GGUF files, or a GGUF LoRA adapter for llama.cpp");
        foreach (var o in new Option[] { model, adapter, to, dtype, quant, output, tokenizer, shard, check, noCheck, modelfile }) cmd.Options.Add(o);
        cmd.SetAction(p => Run(p.GetValue(model)!, p.GetValue(adapter), p.GetValue(to)!, p.GetValue(dtype)!, p.GetValue(quant)!, p.GetValue(output)!,
            p.GetValue(tokenizer), p.GetValue(shard)!, !p.GetValue(noCheck), p.GetValue(modelfile)));
        return cmd;
    }

    private static int Run(string modelDir, string? adapterDir, string to, string dtypeName, string quant, string output, string? tokenizerDir,
        string shard, bool check, bool modelfile)
    {
        string tok = tokenizerDir ?? modelDir;
        switch (to)
        {
            case "gguf-adapter":
            {
                if (adapterDir is null) throw new ExportException("--to gguf-adapter needs --adapter DIR", ExitCode.Usage);
                int n = GgufAdapterWriter.Write(modelDir, adapterDir, output);
                Console.WriteLine($"wrote {output}: {n} LoRA tensor pairs (llama.cpp: --lora {output})");
                return 0;
            }
            case "hf":
            {
                var dtype = dtypeName.ToLowerInvariant() switch
                {
                    "f32" or "float32" => DType.F32,
                    "bf16" or "bfloat16" => DType.BF16,
                    "f16" or "float16" => DType.F16,
                    _ => throw new ExportException($"--dtype {dtypeName} is not supported (f32, bf16, f16)", ExitCode.Usage),
                };
                using var merged = ModelMerger.Load(modelDir, adapterDir);
                foreach (var n in merged.Notes) Console.WriteLine(n);
                var files = HfFolderWriter.Write(merged, tok, dtype, output, ParseSize(shard));
                Console.WriteLine($"wrote {output}: {string.Join(", ", files)}");
                if (!check) return 0;
                using var exported = CausalLM.FromPretrained(output);
                return Report([ExportCheck.Run(merged.Model, exported, Prompts(tok), output, "hf " + DtypeLabel(dtype), 8, true, "tokenizer files copied")]);
            }
            case "gguf":
            {
                var types = quant.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(GgufFileTypes.Parse).Distinct().ToList();
                if (types.Count == 0) throw new ExportException("--quant names no type", ExitCode.Usage);
                bool single = types.Count == 1 && output.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase);
                var paths = types.Select(t => GgufModelWriter.PathFor(output, Path.GetFileName(Path.GetFullPath(modelDir).TrimEnd('/')), t, single)).ToList();
                foreach (var path in paths)
                    if (File.Exists(path)) throw new ExportException($"{path}: the output exists; choose a new path (export never overwrites)", ExitCode.Output);
                using var merged = ModelMerger.Load(modelDir, adapterDir);
                foreach (var n in merged.Notes) Console.WriteLine(n);
                var results = new List<CheckResult>();
                var eot = HfFolderWriter.EndOfTurnIds(merged, tok);
                for (int i = 0; i < types.Count; i++)
                {
                    var written = GgufModelWriter.Write(merged.Model.Config, merged.Tensors(), tok, types[i], paths[i]);
                    Console.WriteLine($"wrote {paths[i]} ({types[i].Name()}: {string.Join(", ", written.GroupBy(w => w.Type).Select(g => $"{g.Count()}×{g.Key}"))}, {new FileInfo(paths[i]).Length:N0} bytes)");
                    if (modelfile) WriteModelfile(paths[i], tok, eot);
                    if (!check) continue;
                    using var exported = CausalLM.FromPretrained(paths[i]);
                    var (ok, note) = ExportCheck.GgufTemplate(paths[i], tok);
                    results.Add(ExportCheck.Run(merged.Model, exported, Prompts(tok), paths[i], "gguf " + types[i].Name(), 8, ok, note));
                }
                return check ? Report(results) : 0;
            }
            default:
                throw new ExportException($"--to {to} is not supported (hf, gguf, gguf-adapter)", ExitCode.Usage);
        }
    }

    private static int Report(IReadOnlyList<CheckResult> results)
    {
        Console.WriteLine();
        Console.WriteLine(ExportCheck.Table(results));
        if (results.All(r => r.Passed)) return 0;
        Console.Error.WriteLine("error: the export check failed (see the table); the files were written, but do not ship them unchecked");
        return (int)ExitCode.Output;
    }

    private static IReadOnlyList<int[]> Prompts(string tokenizerFolder)
    {
        var tok = Tokenizer.FromPretrained(tokenizerFolder);
        return ExportCheck.DefaultPrompts.Select(p => tok.Encode(p, addSpecialTokens: true)).Select(ids => ids.Length > 48 ? ids[..48] : ids).ToList();
    }

    private static void WriteModelfile(string gguf, string tokenizerFolder, IReadOnlyList<int> eot)
    {
        var tok = Tokenizer.FromPretrained(tokenizerFolder);
        var lines = new List<string> { $"FROM ./{Path.GetFileName(gguf)}" };
        foreach (var id in eot)
            if (tok.IdToToken(id) is { } s) lines.Add($"PARAMETER stop \"{s.Replace("\"", "\\\"", StringComparison.Ordinal)}\"");
        var path = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(gguf))!, Path.GetFileNameWithoutExtension(gguf) + ".Modelfile");
        Tensors.IO.AtomicFile.WriteAllText(path, string.Join("\n", lines) + "\n");
        Console.WriteLine($"wrote {path} (ollama create NAME -f {Path.GetFileName(path)})");
    }

    private static string DtypeLabel(DType d) => d switch { DType.BF16 => "bf16", DType.F16 => "f16", _ => "f32" };

    private static long ParseSize(string s)
    {
        s = s.Trim().ToUpperInvariant();
        long mult = s.EndsWith("GB", StringComparison.Ordinal) ? 1_000_000_000 : s.EndsWith("MB", StringComparison.Ordinal) ? 1_000_000 : s.EndsWith("KB", StringComparison.Ordinal) ? 1_000 : 1;
        var num = s.TrimEnd('G', 'M', 'K', 'B');
        return double.TryParse(num, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) && v > 0
            ? (long)(v * mult)
            : throw new ExportException($"--max-shard-size '{s}' is not a size like 5GB or 500MB", ExitCode.Usage);
    }
}
