// `tunesharp predict`: batched generation over a JSONL test set (continuous batching, resumable) into preds.jsonl.
using System.CommandLine;
using System.Globalization;
using TuneSharp.Evaluation.Prediction;
using TuneSharp.Inference;
using TuneSharp.Training.Config;
using TuneSharp.Training.Runs;

namespace TuneSharp.Cli.Commands;

/// <summary>
/// Prompts come from the run config's prompt format (--config) or the rows' columns; the output rows carry
/// prediction, reference and question, so `tunesharp eval --predictions` reads them as they are.
/// </summary>
[CliVerb(23)]
public static class PredictCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "HF model folder or llama .gguf file (default: the run config's model.name_or_path)" };
        var adapter = new Option<string?>("--adapter") { Description = "PEFT adapter folder applied unmerged (e.g. a training run's output_dir)" };
        var input = new Option<string>("--input", "-i") { Description = "Test set JSONL: messages | instruction (+input) | prompt | question columns, optional reference and id", Required = true };
        var output = new Option<string>("--output", "-o") { Description = "Predictions JSONL (appended row by row; rows already there are skipped, so a rerun resumes)", Required = true };
        var config = new Option<string?>("--config", "-c") { Description = "The training run's config (run.yaml): prompts are formatted with its dataset.format / template / chat template" };
        var batch = new Option<int>("--batch-size") { Description = "KV-cache rows decoded together (continuous batching)", DefaultValueFactory = _ => 16 };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "Maximum new tokens per row", DefaultValueFactory = _ => 256 };
        var temperature = new Option<float>("--temperature") { Description = "0 = greedy; > 0 samples", DefaultValueFactory = _ => 0f };
        var topK = new Option<int>("--top-k") { Description = "Keep the k most likely tokens (0 = off)" };
        var topP = new Option<float>("--top-p") { Description = "Nucleus sampling mass (1 = off)", DefaultValueFactory = _ => 1f };
        var minP = new Option<float>("--min-p") { Description = "Drop tokens below min_p × the top probability (0 = off)" };
        var repetition = new Option<float>("--repetition-penalty") { Description = "HF repetition penalty (1 = off)", DefaultValueFactory = _ => 1f };
        var seed = new Option<int?>("--seed") { Description = "Sampling seed; row i samples with seed + i, so results do not depend on --batch-size" };
        var stop = new Option<string[]>("--stop") { Description = "Stop string (repeatable); cut from the prediction" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No progress bar" };
        var cmd = new Command("predict", "Generate answers for a test set in batches (continuous batching, resumable) → preds.jsonl for `tunesharp eval`");
        foreach (var o in new Option[] { model, adapter, input, output, config, batch, maxNew, temperature, topK, topP, minP, repetition, seed, stop, quiet })
            cmd.Options.Add(o);
        cmd.SetAction(async (p, ct) =>
        {
            var run = p.GetValue(config) is { } cfg ? RunConfig.Load(cfg) : null;
            string modelPath = p.GetValue(model) ?? run?.Model.NameOrPath ?? throw new UsageException("give --model DIR|FILE.gguf (or --config run.yaml with model.name_or_path)");
            var gen = Generator.FromPretrained(modelPath);
            using var _ = gen.Model;
            if (p.GetValue(adapter) is { } dir) gen.LoadAdapter(dir);
            var format = run is null ? null : RunData.CreateFormatter(run, gen.Tokenizer, RunData.TokenizerSource(run)).Options;
            var options = new PredictOptions
            {
                BatchSize = p.GetValue(batch),
                Generation = new GenerationOptions
                {
                    MaxNewTokens = p.GetValue(maxNew),
                    Temperature = p.GetValue(temperature),
                    TopK = p.GetValue(topK),
                    TopP = p.GetValue(topP),
                    MinP = p.GetValue(minP),
                    RepetitionPenalty = p.GetValue(repetition),
                    Seed = p.GetValue(seed),
                    StopStrings = p.GetValue(stop) ?? [],
                    Adapter = gen.Adapters.Count > 0 ? Nn.AdapterSelection.DefaultName : null,
                    // Predictions are scored as text: special tokens (other than the stop token, never shown) are dropped.
                    SkipSpecialTokens = true,
                },
            };
            var predictor = new BatchPredictor(gen, new PromptBuilder(gen.Tokenizer, gen.ChatTemplate, format), options);
            string outPath = p.GetValue(output)!;
            var s = await predictor.RunAsync(p.GetValue(input)!, outPath, p.GetValue(quiet) ? null : ProgressBar.ForStderr(), ct);
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{outPath}: {s.Generated} rows predicted, {s.Skipped} resumed of {s.Rows}; {s.GeneratedTokens} tokens in {s.Elapsed.TotalSeconds:F1} s ({s.TokensPerSecond:F1} tok/s, batch {options.BatchSize})"));
            if (!s.Completed) throw new OperationCanceledException($"interrupted after {s.Generated} rows; rerun the same command to resume");
            return 0;
        });
        return cmd;
    }
}
