// Runs metrics, SemScore and the LLM judge over prediction rows of one or more models; the seam a `predict` step feeds.
using TuneSharp.Evaluation.Judge;
using TuneSharp.Evaluation.Metrics;
using TuneSharp.Evaluation.SemScore;

namespace TuneSharp.Evaluation;

/// <summary>
/// Takes <see cref="PredictionRow"/>s (from a predictions JSONL or straight from generation) and computes the requested
/// metrics. Corpus values: per-row metrics are averaged over rows; BLEU / chrF / chrF++ sum sacrebleu's statistics
/// (per-row sentence values are kept for items.csv); judge_mean averages the parsed verdicts.
/// </summary>
public sealed class EvaluationRunner(EvaluationOptions options, Action<string>? log = null)
{
    private static readonly string[] NeedReferences =
        [MetricNames.ExactMatch, MetricNames.Accuracy, MetricNames.F1, MetricNames.Rouge1, MetricNames.Rouge2, MetricNames.RougeL,
         MetricNames.Bleu, MetricNames.ChrF, MetricNames.ChrFPlusPlus, MetricNames.SemScore];

    public EvaluationOptions Options { get; } = options;

    public async Task<EvaluationReport> EvaluateAsync(IReadOnlyList<(string Name, IReadOnlyList<PredictionRow> Rows, string? Source)> models,
        CancellationToken cancellationToken = default)
    {
        var results = new List<ModelEvaluation>();
        foreach (var (name, rows, source) in models)
            results.Add(await EvaluateAsync(name, rows, source, cancellationToken).ConfigureAwait(false));
        var report = new EvaluationReport { MetricNames = Options.Metrics, Models = results };
        if (Options.Metrics.Contains(MetricNames.Judge) && Options.Judge is { Mode: JudgeMode.Pairwise } judge)
        {
            if (models.Count < 2) throw new EvaluationInputException("pairwise judging needs two models (e.g. base and tuned) in one run", ExitCode.Config);
            var (a, b) = (models[0].Rows, models[1].Rows);
            if (a.Count != b.Count) throw new EvaluationInputException($"pairwise judging needs the same rows for both models: {models[0].Name} has {a.Count}, {models[1].Name} has {b.Count}");
            var items = a.Select((r, i) => new JudgeItem(r.Question ?? "", r.Prediction, r.References.FirstOrDefault(), b[i].Prediction)).ToList();
            var llm = new LlmJudge(judge, log);
            log?.Invoke($"judge: {items.Count} pairwise comparisons ({models[0].Name} vs {models[1].Name}), both orders");
            report.Pairwise = llm.Summarize(await llm.CompareAsync(items, cancellationToken).ConfigureAwait(false));
        }
        return report;
    }

    public async Task<ModelEvaluation> EvaluateAsync(string name, IReadOnlyList<PredictionRow> rows, string? source = null, CancellationToken cancellationToken = default)
    {
        var metrics = Options.Metrics;
        if (rows.Count == 0) throw new EvaluationInputException($"{source ?? name}: no prediction rows to evaluate");
        if (metrics.Any(NeedReferences.Contains))
        {
            var missing = rows.Where(r => r.References.Count == 0).Select(r => r.Index + 1).ToList();
            if (missing.Count > 0)
                throw new EvaluationInputException($"{source ?? name}: {missing.Count} of {rows.Count} rows have no \"reference\" (rows {string.Join(", ", missing.Take(10))}{(missing.Count > 10 ? ", …" : "")}); " +
                    $"add a reference to every row, or evaluate only reference-free metrics (judge in mtbench mode)");
        }
        var items = rows.Select(_ => new Dictionary<string, double?>(StringComparer.Ordinal)).ToArray();
        var eval = new ModelEvaluation { Name = name, Source = source, Rows = rows, Items = items };
        var tok = Options.RougeTokenization;
        for (int i = 0; i < rows.Count; i++)
        {
            var r = rows[i];
            foreach (var m in metrics)
            {
                double? v = m switch
                {
                    MetricNames.ExactMatch => ExactMatch.Score(r.Prediction, r.References),
                    MetricNames.Accuracy => Accuracy.Score(r.Prediction, r.References),
                    MetricNames.F1 => TokenF1.Score(r.Prediction, r.References),
                    MetricNames.Rouge1 => Rouge.Best(r.References, r.Prediction, (t, p) => Rouge.N(t, p, 1, tok)).FMeasure,
                    MetricNames.Rouge2 => Rouge.Best(r.References, r.Prediction, (t, p) => Rouge.N(t, p, 2, tok)).FMeasure,
                    MetricNames.RougeL => Rouge.Best(r.References, r.Prediction, (t, p) => Rouge.L(t, p, tok)).FMeasure,
                    MetricNames.Bleu => new Bleu(BleuOptions.Sentence).Sentence(r.Prediction, r.References).Score,
                    MetricNames.ChrF => new ChrF().Sentence(r.Prediction, r.References),
                    MetricNames.ChrFPlusPlus => new ChrF(ChrFOptions.ChrFPlusPlus).Sentence(r.Prediction, r.References),
                    _ => null,
                };
                if (v is not null) items[i][m] = v;
            }
        }
        foreach (var m in metrics)
        {
            switch (m)
            {
                case MetricNames.Bleu:
                    eval.Metrics[m] = new Bleu().Corpus(rows.Select(r => r.Prediction).ToList(), rows.Select(r => r.References).ToList()).Score;
                    break;
                case MetricNames.ChrF:
                    eval.Metrics[m] = new ChrF().Corpus(rows.Select(r => r.Prediction).ToList(), rows.Select(r => r.References).ToList());
                    break;
                case MetricNames.ChrFPlusPlus:
                    eval.Metrics[m] = new ChrF(ChrFOptions.ChrFPlusPlus).Corpus(rows.Select(r => r.Prediction).ToList(), rows.Select(r => r.References).ToList());
                    break;
                case MetricNames.SemScore:
                    var encoder = Options.Encoder ?? throw new EvaluationInputException("semscore needs an embedding model: give --embedding-model DIR (a sentence-transformers folder)", ExitCode.Usage);
                    log?.Invoke($"{name}: SemScore over {rows.Count} rows");
                    var sem = new SemScorer(encoder, Options.EmbeddingBatchSize).Score(rows);
                    for (int i = 0; i < rows.Count; i++) items[i][m] = sem[i];
                    eval.Metrics[m] = sem.Where(s => s is not null).Average(s => s!.Value);
                    break;
                case MetricNames.Judge:
                    if (Options.Judge is not { } judge) throw new EvaluationInputException("judge needs --judge-endpoint URL and --judge-model NAME", ExitCode.Usage);
                    if (judge.Mode == JudgeMode.Pairwise) break; // judged across models in EvaluateAsync(models)
                    var llm = new LlmJudge(judge, log);
                    log?.Invoke($"{name}: judging {rows.Count} answers with {judge.Model} ({judge.Mode})");
                    var verdicts = await llm.ScoreAsync(rows.Select(r => new JudgeItem(r.Question ?? "", r.Prediction, r.References.FirstOrDefault())).ToList(), cancellationToken).ConfigureAwait(false);
                    for (int i = 0; i < rows.Count; i++) items[i][m] = verdicts[i].Score;
                    eval.JudgeReplies = verdicts.Select(v => v.Error is null ? v.RawText : "ERROR: " + v.Error).ToArray();
                    eval.Judge = llm.Summarize(verdicts);
                    if (eval.Judge.Mean is { } mean) eval.Metrics[MetricNames.JudgeMean] = mean;
                    if (eval.Judge.Unparsable + eval.Judge.Failed > 0)
                        log?.Invoke($"{name}: judge verdicts: {eval.Judge.Scored} scored, {eval.Judge.Unparsable} unparsable, {eval.Judge.Failed} failed (rerun to retry the failed ones; scored ones come from the cache)");
                    break;
                default:
                    eval.Metrics[m] = items.Average(it => it[m] ?? 0.0);
                    break;
            }
        }
        return eval;
    }
}
