// `tunesharp generate`: text generation from an HF model folder or a llama .gguf file, streamed to stdout.
using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using TuneSharp.Inference;

namespace TuneSharp.Cli.Commands;

/// <summary>
/// Defaults: greedy (temperature 0, as transformers' do_sample=False), 128 new tokens, no top-k/top-p/min-p,
/// repetition penalty 1. With --json nothing is streamed; one object {prompt_ids, generated_ids, text} is printed.
/// </summary>
[CliVerb(22)]
public static class GenerateCommand
{
    private static readonly JsonSerializerOptions JsonOut = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "HF model folder (config.json, *.safetensors, tokenizer.json) or a llama .gguf file", Required = true };
        var prompt = new Option<string?>("--prompt") { Description = "Prompt text (tokenized with the model's special tokens, e.g. BOS)" };
        var promptIds = new Option<string?>("--prompt-ids") { Description = "Prompt as comma-separated token ids, e.g. 1,80,147" };
        var chat = new Option<bool>("--chat") { Description = "Treat --prompt as a user message rendered with the model's chat template (add_generation_prompt)" };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "Maximum new tokens", DefaultValueFactory = _ => 128 };
        var temperature = new Option<float>("--temperature") { Description = "0 = greedy; > 0 samples", DefaultValueFactory = _ => 0f };
        var topK = new Option<int>("--top-k") { Description = "Keep the k most likely tokens (0 = off)" };
        var topP = new Option<float>("--top-p") { Description = "Nucleus sampling mass (1 = off)", DefaultValueFactory = _ => 1f };
        var minP = new Option<float>("--min-p") { Description = "Drop tokens below min_p × the top probability (0 = off)" };
        var repetition = new Option<float>("--repetition-penalty") { Description = "HF repetition penalty (1 = off)", DefaultValueFactory = _ => 1f };
        var seed = new Option<int?>("--seed") { Description = "Sampling seed (reproducible output)" };
        var stop = new Option<string[]>("--stop") { Description = "Stop string (repeatable); not included in the output", AllowMultipleArgumentsPerToken = false };
        var adapter = new Option<string[]>("--adapter") { Description = "PEFT adapter folder applied unmerged, as DIR or NAME=DIR (repeatable: several adapters on one base)" };
        var useAdapter = new Option<string?>("--use-adapter") { Description = "Which loaded adapter to generate with (its NAME, or 'none' for the base model); default: the only one given" };
        var json = new Option<bool>("--json") { Description = "Print {\"prompt_ids\":[…],\"generated_ids\":[…],\"text\":\"…\"} instead of streaming" };
        var command = new Command("generate", "Generate text with a causal LM (streams to stdout)");
        foreach (var o in new Option[] { model, adapter, useAdapter, prompt, promptIds, chat, maxNew, temperature, topK, topP, minP, repetition, seed, stop, json })
            command.Options.Add(o);
        command.SetAction(p => Run(p.GetValue(model)!, p.GetValue(adapter) ?? [], p.GetValue(useAdapter), p.GetValue(prompt), p.GetValue(promptIds), p.GetValue(chat), p.GetValue(json),
            new GenerationOptions
            {
                MaxNewTokens = p.GetValue(maxNew),
                Temperature = p.GetValue(temperature),
                TopK = p.GetValue(topK),
                TopP = p.GetValue(topP),
                MinP = p.GetValue(minP),
                RepetitionPenalty = p.GetValue(repetition),
                Seed = p.GetValue(seed),
                StopStrings = p.GetValue(stop) ?? [],
            }));
        return command;
    }

    private static int Run(string modelPath, string[] adapters, string? useAdapter, string? prompt, string? promptIds, bool chat, bool json, GenerationOptions options)
    {
        options.Validate();
        if ((prompt is null) == (promptIds is null)) throw new UsageException("give exactly one of --prompt or --prompt-ids");
        if (chat && promptIds is not null) throw new UsageException("--chat needs --prompt (a user message)");
        int[]? ids = promptIds is null ? null : ParseIds(promptIds);
        var gen = Generator.FromPretrained(modelPath);
        using var _ = gen.Model;
        gen.Warning += w => Console.Error.WriteLine("warning: " + w);
        var names = new List<string>();
        foreach (var spec in adapters)
        {
            int eq = spec.IndexOf('=');
            // NAME=DIR, unless the text before '=' is a path (an existing folder whose name holds '=').
            var (name, dir) = eq > 0 && !Directory.Exists(spec) ? (spec[..eq], spec[(eq + 1)..]) : (Nn.AdapterSelection.DefaultName, spec);
            gen.LoadAdapter(dir, name);
            names.Add(name);
        }
        string? chosen = useAdapter switch
        {
            null => names.Count switch
            {
                0 => null,
                1 => names[0],
                _ => throw new UsageException($"{names.Count} adapters loaded ({string.Join(", ", names)}): pick one with --use-adapter NAME"),
            },
            "none" => null,
            var n when names.Contains(n) => n,
            var n => throw new UsageException($"--use-adapter {n}: no adapter of that name was given (loaded: {(names.Count == 0 ? "none" : string.Join(", ", names))})"),
        };
        options = options with { Adapter = chosen };
        if (ids is null)
        {
            ids = chat
                ? gen.EncodeChat([new Dictionary<string, object?> { ["role"] = "user", ["content"] = prompt }])
                : gen.Encode(prompt!);
        }
        GenerationResult r;
        if (json)
        {
            r = gen.Generate(ids, options);
            Console.Out.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["prompt_ids"] = r.PromptIds,
                ["generated_ids"] = r.GeneratedIds,
                ["text"] = r.Text,
            }, JsonOut));
        }
        else
        {
            // Streamed pieces are valid UTF-8 only as bytes written straight to the process's stdout.
            using var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
            r = gen.Generate(ids, options, s => stdout.Write(s));
            stdout.WriteLine();
        }
        return 0;
    }

    private static int[] ParseIds(string s)
    {
        var parts = s.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) throw new UsageException("--prompt-ids is empty; give comma-separated token ids, e.g. 1,80,147");
        return parts.Select(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var v)
            ? v : throw new UsageException($"--prompt-ids: \"{p}\" is not a token id (give comma-separated non-negative integers)")).ToArray();
    }
}
