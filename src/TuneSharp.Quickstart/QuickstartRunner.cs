// The end-to-end quickstart: tokenizer + tiny Llama built from scratch, continued pre-training on embedded trade text,
// LoRA SFT on an embedded instruction set, and a base-vs-tuned evaluation (eval loss, accuracy, ROUGE-L, SemScore) on
// held-out paraphrased questions about the trained terms.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using TuneSharp.Data;
using TuneSharp.Data.Formatting;
using TuneSharp.Evaluation;
using TuneSharp.Evaluation.Prediction;
using TuneSharp.Evaluation.Reports;
using TuneSharp.Inference;
using TuneSharp.Models.Encoders;
using TuneSharp.Models;
using TuneSharp.Models.Config;
using TuneSharp.Nn.Lora;
using TuneSharp.Tokenizers;
using TuneSharp.Training;
using TuneSharp.Training.Formatting;
using TuneSharp.Training.Runs;
using TuneSharp.Training.Sft;
using TuneSharp.Training.Tracking;
using TuneSharp.Tensors.IO;

namespace TuneSharp.Quickstart;

public sealed class QuickstartRunner(QuickstartOptions options, TextWriter? log = null)
{
    public const string ChatTemplateText =
        "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
        "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    public static readonly string[] SpecialTokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];

    private static readonly string[] LoraTargets = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    private readonly TextWriter _log = log ?? Console.Out;

    public QuickstartOptions Options { get; } = options;

    public QuickstartResult Run(CancellationToken cancellation = default)
    {
        var o = Options;
        string outDir = Path.GetFullPath(o.OutputDir);
        Directory.CreateDirectory(outDir);
        string summaryPath = Path.Combine(outDir, "summary.json");
        // A stale summary would make a half-finished rerun look complete.
        if (File.Exists(summaryPath)) File.Delete(summaryPath);
        var seconds = new Dictionary<string, double>();
        var total = Stopwatch.StartNew();
        var progress = new ConsoleProgress(_log == Console.Out ? null : _log);

        string modelDir;
        double? ptFirst = null, ptLast = null;
        if (o.ModelPath == null)
        {
            modelDir = Path.Combine(outDir, "base-model");
            var sw = Stopwatch.StartNew();
            var tokenizer = BuildTokenizer(modelDir);
            seconds["tokenizer"] = sw.Elapsed.TotalSeconds;
            _log.WriteLine($"[1/4] tokenizer: byte-level BPE, {tokenizer.VocabSize} tokens, trained on the embedded corpus in {sw.Elapsed.TotalSeconds:F1}s → {modelDir}");
            sw.Restart();
            (ptFirst, ptLast) = Pretrain(modelDir, tokenizer, progress, cancellation);
            seconds["pretrain"] = sw.Elapsed.TotalSeconds;
            _log.WriteLine($"[2/4] continued pre-training: loss {ptFirst:F3} → {ptLast:F3} in {sw.Elapsed.TotalSeconds:F1}s → {modelDir}");
        }
        else
        {
            modelDir = Path.GetFullPath(o.ModelPath);
            if (!Directory.Exists(modelDir))
                throw new TrainingSetupException($"--model {o.ModelPath}: folder not found. Give a Hugging Face model folder (config.json, *.safetensors, tokenizer.json), or leave --model out to build the embedded tiny model.");
            _log.WriteLine($"[1/4] model: {modelDir} (tokenizer creation and pre-training skipped)");
            _log.WriteLine("[2/4] skipped");
        }

        var swSft = Stopwatch.StartNew();
        ChatTemplate? template = ChatTemplate.TryFromDirectory(modelDir);
        // Train on every instruction; hold out paraphrased questions about the same terms (what tuning should teach).
        var heldOut = QuickstartCorpus.HeldOutQuestions();
        if (o.EvalRows > 0 && o.EvalRows < heldOut.Count) heldOut = heldOut.Select(SeededPermutation.Create(heldOut.Count, o.Seed)[..o.EvalRows]);
        var (trainRows, evalRowsData, format) = InstructionRows(QuickstartCorpus.Instructions(), heldOut, template);
        string adapterDir = Path.Combine(outDir, "adapter");
        // The same run set-up as `tunesharp train` (FineTuneRun), on rows held in memory.
        using var run = FineTuneRun.Create(modelDir)
            .Data(trainRows, evalRowsData, format)
            .Lora(o.LoraR, o.LoraAlpha, LoraTargets)
            .Training(t =>
            {
                t.OutputDir = adapterDir; t.MaxSteps = o.SftSteps; t.LearningRate = o.SftLearningRate; t.LrSchedulerType = SchedulerType.Cosine;
                t.WarmupSteps = Math.Max(1, o.SftSteps / 20); t.PerDeviceTrainBatchSize = o.BatchSize; t.PerDeviceEvalBatchSize = 16;
                t.MaxSeqLength = o.MaxSeqLength; t.LoggingSteps = Math.Max(1, o.SftSteps / 5); t.SaveStrategy = IntervalStrategy.No; t.Seed = o.Seed;
                t.WeightDecay = 0; t.MaxGradNorm = 1.0; t.ReportTo = ["jsonl"]; t.OverwriteOutputDir = true;
            })
            .Build(s => _log.WriteLine("warning: " + s));
        var (model, tok, lora, sft) = (run.Model, run.Tokenizer!, run.Lora!, run.Trainer);
        sft.Progress = progress;
        var (train, eval) = (run.Data.Train, run.Data.Eval!);
        double baseLoss = sft.Evaluate();
        _log.WriteLine($"[3/4] LoRA SFT (r {o.LoraR}, alpha {o.LoraAlpha}) on {train.Count} conversations; {eval.Count} held-out paraphrased questions; base eval loss {baseLoss:F4}");
        run.Train(cancellation);
        double tunedLoss = sft.Evaluate();
        seconds["sft"] = swSft.Elapsed.TotalSeconds;
        _log.WriteLine($"[3/4] eval loss on held-out questions: base {baseLoss:F4} → tuned {tunedLoss:F4} ({swSft.Elapsed.TotalSeconds:F1}s) → adapter in {adapterDir}");

        var sw4 = Stopwatch.StartNew();
        var (report, evalDir) = Evaluate(model, tok, template, evalRowsData, outDir, cancellation);
        var tuned = report.Models[1];
        var samples = tuned.Rows.Take(o.Samples).Select(r => (r.Question ?? "", r.Prediction)).ToList();
        if (samples.Count > 0) _log.WriteLine("[4/4] answers of the tuned model to held-out questions:");
        foreach (var r in tuned.Rows.Take(o.Samples))
            _log.WriteLine($"  Q: {r.Question}\n  A: {r.Prediction}{(tuned.Items[r.Index].GetValueOrDefault(MetricNames.Accuracy) == 1 ? "  ✓" : "")}");
        seconds["evaluate"] = sw4.Elapsed.TotalSeconds;
        seconds["total"] = total.Elapsed.TotalSeconds;
        var result = new QuickstartResult(outDir, modelDir, adapterDir, ptFirst, ptLast, baseLoss, tunedLoss, samples, seconds) { Evaluation = report, EvalDir = evalDir };
        AtomicFile.WriteAllText(summaryPath, result.ToJson().ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        _log.WriteLine($"done in {total.Elapsed.TotalSeconds:F1}s: base model {modelDir}, adapter {adapterDir}, summary {summaryPath}");
        return result;
    }

    /// <summary>
    /// Base vs tuned on the held-out questions: greedy answers of both (the base model is the same weights with the adapter
    /// switched off) through the batched predictor, scored with accuracy, ROUGE-L and (with an encoder) SemScore; the
    /// report, items.csv and plots go to OUT/eval.
    /// </summary>
    private (EvaluationReport Report, string Dir) Evaluate(CausalLM model, Tokenizer tok, ChatTemplate? template, Dataset heldOut, string outDir, CancellationToken cancellation)
    {
        var o = Options;
        var builder = new PromptBuilder(tok, template);
        var prompts = heldOut.Rows.Select((r, i) => builder.Build(r, i, $"held-out question {i + 1}")).ToList();
        var gen = new Generator(model, tok, template);
        IReadOnlyList<PredictionRow> Answers(string? adapter) => new BatchPredictor(gen, builder, new PredictOptions
        {
            BatchSize = 16,
            Generation = new GenerationOptions { MaxNewTokens = o.MaxNewTokens, Adapter = adapter, SkipSpecialTokens = true },
        }).PredictAllAsync(prompts, cancellation).GetAwaiter().GetResult().Select(r => r.ToPredictionRow() with { Prediction = r.Prediction.Trim() }).ToList();
        var baseRows = Answers(null);
        var tunedRows = Answers(Nn.AdapterSelection.DefaultName);
        List<string> metrics = [MetricNames.Accuracy, MetricNames.RougeL];
        if (o.EmbeddingModel != null) metrics.Add(MetricNames.SemScore);
        string dir = Path.Combine(outDir, "eval");
        if (o.Judge != null) metrics.Add(MetricNames.Judge);
        // Korean answers score 0 under rouge-score's default [a-z0-9] tokenizer; whitespace words count both languages.
        var options = new EvaluationOptions
        {
            Metrics = metrics,
            RougeTokenization = Evaluation.Metrics.RougeTokenization.Whitespace,
            Encoder = o.EmbeddingModel is { } enc ? SentenceEncoder.FromFolder(enc) : null,
            // Judgments are cached under OUT/eval, so a rerun asks the endpoint only for what it has not answered.
            Judge = o.Judge?.ToOptions(dir, Environment.GetEnvironmentVariable),
        };
        var report = new EvaluationRunner(options, _log.WriteLine).EvaluateAsync([("base", baseRows, null), ("tuned", tunedRows, null)], cancellation).GetAwaiter().GetResult();
        ReportWriter.Write(report, dir);
        _log.WriteLine($"[4/4] base vs tuned on {prompts.Count} held-out paraphrased questions about the trained terms:");
        foreach (var m in metrics.Select(m => m == MetricNames.Judge ? MetricNames.JudgeMean : m))
        {
            string Value(int i) => report.Models[i].Metrics.TryGetValue(m, out var v) ? v.ToString("F3", CultureInfo.InvariantCulture) : "n/a";
            _log.WriteLine($"  {m,-10} base {Value(0)} → tuned {Value(1)}");
        }
        _log.WriteLine($"  report, items.csv and plots → {dir}");
        return (report, dir);
    }

    /// <summary>
    /// Writes the embedded default as an HF folder (tokenizer files, config.json, model.safetensors): tokenizer trained on
    /// the corpus, random-initialised tiny Llama, continued pre-training for PretrainSteps (0 = keep the random weights,
    /// e.g. for CI runs of the examples). Returns the first and final pre-training loss (NaN when not trained).
    /// </summary>
    public (double First, double Last) CreateBaseModel(string modelDir, CancellationToken cancellation = default)
    {
        var tok = BuildTokenizer(modelDir);
        return Pretrain(modelDir, tok, new ConsoleProgress(_log == Console.Out ? null : _log), cancellation);
    }

    private Tokenizer BuildTokenizer(string modelDir)
    {
        Directory.CreateDirectory(modelDir);
        var json = ByteBpeTrainer.Train(QuickstartCorpus.AllText().Append(ChatTemplateText), Options.VocabSize, SpecialTokens);
        AtomicFile.WriteAllText(Path.Combine(modelDir, "tokenizer.json"), json);
        var config = new JsonObject
        {
            ["tokenizer_class"] = "PreTrainedTokenizerFast",
            ["bos_token"] = null,
            ["eos_token"] = "<|im_end|>",
            ["pad_token"] = "<|endoftext|>",
            ["unk_token"] = null,
            ["add_bos_token"] = false,
            ["add_eos_token"] = false,
            ["clean_up_tokenization_spaces"] = false,
            ["model_max_length"] = 512,
            ["chat_template"] = ChatTemplateText,
        };
        AtomicFile.WriteAllText(Path.Combine(modelDir, "tokenizer_config.json"), config.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        return Tokenizer.FromPretrained(modelDir);
    }

    /// <summary>The HF config.json of the tiny Llama (tied embeddings, GQA, SiLU), sized by the options.</summary>
    public static JsonObject ModelConfigJson(QuickstartOptions o, Tokenizer tok) => new()
    {
        ["architectures"] = new JsonArray("LlamaForCausalLM"),
        ["model_type"] = "llama",
        ["hidden_size"] = o.HiddenSize,
        ["intermediate_size"] = o.IntermediateSize,
        ["num_hidden_layers"] = o.Layers,
        ["num_attention_heads"] = o.Heads,
        ["num_key_value_heads"] = o.KeyValueHeads,
        ["head_dim"] = o.HiddenSize / o.Heads,
        ["vocab_size"] = tok.VocabSize,
        ["rms_norm_eps"] = 1e-5,
        ["rope_theta"] = 10000.0,
        ["max_position_embeddings"] = 512,
        ["tie_word_embeddings"] = true,
        ["hidden_act"] = "silu",
        ["attention_bias"] = false,
        ["mlp_bias"] = false,
        ["eos_token_id"] = tok.EosTokenId,
        ["pad_token_id"] = tok.PadTokenId,
        ["torch_dtype"] = "float32",
    };

    private (double First, double Last) Pretrain(string modelDir, Tokenizer tok, ConsoleProgress progress, CancellationToken cancellation)
    {
        var o = Options;
        var configJson = ModelConfigJson(o, tok).ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
        var config = ModelConfig.FromJson(configJson, "quickstart config.json");
        // The random initial weights become the model folder; pre-training is then a full fine-tune of that folder on the
        // corpus text through the same run API as `tunesharp train` (packed, every token trained).
        using (var random = CausalLM.CreateRandom(config, seed: (int)(o.Seed % int.MaxValue)))
            Tensors.IO.SafeTensorsWriter.Write(Path.Combine(modelDir, "model.safetensors"), random.NamedParameters().Select(p => (p.Name, p.Parameter.Value)));
        AtomicFile.WriteAllText(Path.Combine(modelDir, "config.json"), configJson);
        if (o.PretrainSteps <= 0) return (double.NaN, double.NaN);
        var stage = Path.Combine(Path.GetDirectoryName(modelDir)!, "pretrain");
        List<double> losses;
        using (var run = FineTuneRun.Create(modelDir)
            .Data(QuickstartCorpus.PretrainingText(), format: "text")
            .FullFineTune()
            .Training(t =>
            {
                t.OutputDir = stage; t.MaxSteps = o.PretrainSteps; t.LearningRate = o.PretrainLearningRate; t.LrSchedulerType = SchedulerType.Cosine;
                t.WarmupSteps = Math.Max(1, o.PretrainSteps / 20); t.PerDeviceTrainBatchSize = o.BatchSize; t.MaxSeqLength = o.MaxSeqLength;
                t.Packing = true; t.CompletionOnlyLoss = false; t.LoggingSteps = Math.Max(1, o.PretrainSteps / 5); t.SaveStrategy = IntervalStrategy.No;
                t.Seed = o.Seed; t.WeightDecay = 0.01; t.MaxGradNorm = 1.0; t.ReportTo = ["jsonl"]; t.OverwriteOutputDir = true;
            })
            .Build())
        {
            run.Trainer.Progress = progress;
            run.Train(cancellation);
            losses = [.. run.Trainer.StepLosses.Values];
        }
        // The stage folder holds model.safetensors (+ tokenizer files, trainer_state); make it the base model folder.
        File.Move(Path.Combine(stage, "model.safetensors"), Path.Combine(modelDir, "model.safetensors"), overwrite: true);
        return (losses[0], losses.TakeLast(Math.Min(10, losses.Count)).Average());
    }

    /// <summary>The instruction set and the held-out questions: chat rows when the model has a chat template, Alpaca rows otherwise.</summary>
    private static (Dataset Train, Dataset Test, string Format) InstructionRows(Dataset train, Dataset test, ChatTemplate? template)
    {
        if (template != null) return (train, test, "chat");
        // No chat template in the model folder: the same pairs as Alpaca rows.
        static JsonObject ToAlpaca(JsonObject r) => new()
        {
            ["instruction"] = r["messages"]![0]!["content"]!.GetValue<string>(),
            ["input"] = "",
            ["output"] = r["messages"]![1]!["content"]!.GetValue<string>(),
        };
        return (train.Map(ToAlpaca), test.Map(ToAlpaca), "alpaca");
    }

    internal static string Invariant(double x) => x.ToString("F4", CultureInfo.InvariantCulture);
}
