// Generation metrics during training (eval_generation_metrics): greedy answers to eval prompts through the batched
// predictor, scored against the trained answers with the evaluation metrics (ROUGE, accuracy, SemScore, …).
using TuneSharp.Evaluation;
using TuneSharp.Evaluation.Prediction;
using TuneSharp.Inference;
using TuneSharp.Models;
using TuneSharp.Models.Encoders;
using TuneSharp.Tokenizers;

namespace TuneSharp.Training.Sft;

/// <summary>
/// Each eval example splits at its last trained span (labels ≠ −100): the tokens before it are the prompt, the span
/// (without a closing EOS) decoded is the reference — the answer training teaches, in whatever format the data used.
/// <see cref="Evaluate"/> decodes greedily with the adapter being trained (continuous batching, per_device_eval_batch_size
/// rows) and returns the corpus values keyed eval_NAME.
/// </summary>
public sealed class GenerationEvaluator
{
    private readonly CausalLM _model;
    private readonly Tokenizer _tokenizer;
    private readonly TrainingOptions _options;
    private readonly Lazy<SentenceEncoder?> _encoder;

    public GenerationEvaluator(CausalLM model, Tokenizer tokenizer, TrainingOptions options, IReadOnlyList<TokenizedExample> evalData)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        ArgumentNullException.ThrowIfNull(evalData);
        Metrics = ParseMetrics(options);
        int n = options.EvalGenerationSamples > 0 ? Math.Min(options.EvalGenerationSamples, evalData.Count) : evalData.Count;
        var eos = new HashSet<int>(model.Config.EosTokenIds);
        if (tokenizer.EosTokenId is int e) eos.Add(e);
        Prompts = [.. evalData.Take(n).Select((x, i) => Split(x, i, eos))];
        _encoder = new(() => Metrics.Contains(MetricNames.SemScore) ? SentenceEncoder.FromFolder(options.EvalEmbeddingModel!) : null);
    }

    /// <summary>Metric names as the evaluation layer spells them (rougeL, accuracy, semscore, …).</summary>
    public IReadOnlyList<string> Metrics { get; }

    /// <summary>The eval prompts with their references.</summary>
    public IReadOnlyList<PredictionPrompt> Prompts { get; }

    /// <summary>The answers of the latest <see cref="Evaluate"/>, in eval order.</summary>
    public IReadOnlyList<PredictedRow> LastPredictions { get; private set; } = [];

    /// <summary>
    /// Checks training.eval_generation_metrics (names, no judge, semscore's encoder, an eval strategy) and returns the
    /// names; an empty list when the option is unset.
    /// </summary>
    public static IReadOnlyList<string> ParseMetrics(TrainingOptions o)
    {
        if (o.EvalGenerationMetrics.Count == 0) return [];
        IReadOnlyList<string> names;
        try { names = MetricNames.Parse(string.Join(',', o.EvalGenerationMetrics)); }
        catch (EvaluationInputException e) { throw new ConfigException("training.eval_generation_metrics: " + e.Message); }
        if (names.Contains(MetricNames.Judge))
            throw new ConfigException("training.eval_generation_metrics: judge is not available during training (it needs an endpoint); run `tunesharp eval` with the judge on the saved adapter");
        if (names.Contains(MetricNames.SemScore) && string.IsNullOrWhiteSpace(o.EvalEmbeddingModel))
            throw new ConfigException("training.eval_generation_metrics: semscore needs training.eval_embedding_model (a sentence-transformers folder, e.g. all-MiniLM-L6-v2)");
        if (o.EvalStrategy == IntervalStrategy.No)
            throw new ConfigException("training.eval_generation_metrics needs eval_strategy steps or epoch (and eval data: dataset.eval_path or test_size)");
        if (o.EvalGenerationMaxNewTokens < 1) throw new ConfigException($"training.eval_generation_max_new_tokens must be ≥ 1 (got {o.EvalGenerationMaxNewTokens})");
        if (o.EvalGenerationSamples < 0) throw new ConfigException($"training.eval_generation_samples must be ≥ 0 (0 = all; got {o.EvalGenerationSamples})");
        return names;
    }

    /// <summary>The eval_NAME keys these metrics log under.</summary>
    public static IEnumerable<string> LogKeys(TrainingOptions o) => ParseMetrics(o).Select(m => "eval_" + m);

    /// <summary>Generates the eval answers and scores them; keys are eval_NAME.</summary>
    public IReadOnlyDictionary<string, double> Evaluate(CancellationToken cancellationToken = default)
    {
        // "default" is the adapter being trained (the base path for full fine-tuning); greedy, so no seed is needed.
        var predictor = new BatchPredictor(new Generator(_model, _tokenizer), new PromptBuilder(_tokenizer, null),
            new PredictOptions
            {
                BatchSize = _options.PerDeviceEvalBatchSize,
                Generation = new GenerationOptions { MaxNewTokens = _options.EvalGenerationMaxNewTokens, Adapter = Nn.AdapterSelection.DefaultName, SkipSpecialTokens = true },
            });
        LastPredictions = predictor.PredictAllAsync(Prompts, cancellationToken).GetAwaiter().GetResult();
        var runner = new EvaluationRunner(new EvaluationOptions { Metrics = Metrics, Encoder = _encoder.Value });
        var eval = runner.EvaluateAsync("eval", [.. LastPredictions.Select(r => r.ToPredictionRow())], null, cancellationToken).GetAwaiter().GetResult();
        return eval.Metrics.ToDictionary(kv => "eval_" + kv.Key, kv => kv.Value);
    }

    private PredictionPrompt Split(TokenizedExample x, int index, HashSet<int> eos)
    {
        int end = x.Labels.Length;
        while (end > 0 && x.Labels[end - 1] == TokenizedExample.IgnoreIndex) end--;
        int start = end;
        while (start > 0 && x.Labels[start - 1] != TokenizedExample.IgnoreIndex) start--;
        if (end == 0 || start == 0)
            throw new ConfigException($"training.eval_generation_metrics: eval row {index + 1} has no prompt before its trained answer (every token is trained); " +
                "generation metrics need completion-only labels (completion_only_loss: true and a format with prompts: alpaca, chat, completion, custom)");
        var ids = x.InputIds[start..end];
        int stop = ids.Length;
        while (stop > 0 && eos.Contains(ids[stop - 1])) stop--;
        string reference = _tokenizer.Decode(ids.AsSpan(0, stop), skipSpecialTokens: true);
        var prompt = x.InputIds[..start];
        return new PredictionPrompt(index, index.ToString(System.Globalization.CultureInfo.InvariantCulture), null, prompt, null, [reference]);
    }
}
