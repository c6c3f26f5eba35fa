// DPO / ORPO / SimPO as a TrainingObjective: one forward over the concatenated chosen + rejected rows, per-token
// log-probs from the fused LM head, the TRL loss over per-sequence sums, TRL's metric names per micro-batch.
using System.Text.Json.Nodes;
using TuneSharp.Autograd;
using TuneSharp.Autograd.Ops;
using TuneSharp.Models;
using TuneSharp.Nn;

namespace TuneSharp.Training.Preference;

/// <summary>
/// The reference log-probs (DPO) come from <c>reference</c> when given (full fine-tuning: a frozen copy of the base),
/// else from the policy model itself with every adapter switched off (PEFT disable_adapter, TRL's null_ref_context),
/// computed per micro-batch under no-grad or once before training (precompute_ref_log_probs).
/// </summary>
internal sealed class PreferenceObjective : TrainingObjective
{
    private readonly CausalLM _model;
    private readonly CausalLM? _reference;
    private readonly PreferenceSettings _s;
    private readonly PreferenceCollator _collator;
    private readonly IReadOnlyList<PreferencePair> _train;
    private readonly IReadOnlyList<PreferencePair>? _eval;
    private readonly bool _precompute;
    private readonly int _refBatchSize;
    private double[]? _refTrain, _refEval; // (chosen, rejected) per pair, interleaved
    private readonly MetricWindow _window = new();
    private CausalLMInput? _live;

    public PreferenceObjective(CausalLM model, CausalLM? reference, PreferenceSettings settings, PreferenceCollator collator,
        IReadOnlyList<PreferencePair> train, IReadOnlyList<PreferencePair>? eval, bool precompute, int refBatchSize)
    {
        _model = model;
        _reference = reference;
        _s = settings;
        _collator = collator;
        _train = train;
        _eval = eval;
        _precompute = precompute && settings.NeedsReference;
        _refBatchSize = Math.Max(1, refBatchSize);
    }

    public override int Rows => _train.Count;

    public override int EvalRows => _eval?.Count ?? 0;

    public PreferenceSettings Settings => _s;

    public override string Describe() => $"{_s.Method} beta={_s.Beta} label_smoothing={_s.LabelSmoothing} simpo_gamma={_s.SimpoGamma} cpo_alpha={_s.CpoAlpha}";

    public override void Prepare(Action<string> progress)
    {
        if (!_precompute || _refTrain != null) return;
        progress($"precomputing reference log-probs for {_train.Count} training pairs" + (_eval != null ? $" and {_eval.Count} evaluation pairs" : ""));
        _refTrain = PrecomputeReference(_train);
        if (_eval != null) _refEval = PrecomputeReference(_eval);
    }

    private double[] PrecomputeReference(IReadOnlyList<PreferencePair> data)
    {
        var r = new double[2 * data.Count];
        for (int first = 0; first < data.Count; first += _refBatchSize)
        {
            int count = Math.Min(_refBatchSize, data.Count - first);
            var batch = _collator.Collate(Slice(data, first, count));
            var v = ReferenceLogProbs(batch);
            for (int i = 0; i < count; i++)
            {
                r[2 * (first + i)] = v[i];
                r[2 * (first + i) + 1] = v[count + i];
            }
        }
        return r;
    }

    private static List<PreferencePair> Slice(IReadOnlyList<PreferencePair> data, int first, int count)
    {
        var l = new List<PreferencePair>(count);
        for (int i = 0; i < count; i++) l.Add(data[first + i]);
        return l;
    }

    /// <summary>Per-sequence reference log-probs (2P; averaged where the method averages) under no-grad, eval mode.</summary>
    private double[] ReferenceLogProbs(PreferenceBatch batch)
    {
        using var tape = new Tape();
        using var noGrad = tape.NoGrad();
        using var input = Input(batch);
        var model = _reference ?? _model;
        var ctx = new ForwardContext(tape, _reference != null ? AdapterSelection.Default : AdapterSelection.None, training: false);
        var labels = (int[])batch.Labels.Clone();
        for (int i = 0; i < labels.Length; i++) if (batch.AnswerSequence[i] < 0) labels[i] = -100; // NLL-only positions are not needed
        var logp = model.TokenLogProbs(ctx, input, labels).Value.ToFloatArray();
        return SequenceLogProbs(batch, logp);
    }

    private static CausalLMInput Input(PreferenceBatch b) => CausalLMInput.Create(b.InputIds, b.Rows, b.HasPadding ? b.AttentionMask : default);

    private double[] SequenceLogProbs(PreferenceBatch b, ReadOnlySpan<float> logp)
    {
        var seq = new double[b.Rows];
        for (int i = 0; i < logp.Length; i++)
            if (b.AnswerSequence[i] is var s and >= 0) seq[s] += logp[i];
        if (_s.AveragesLogProbs)
            for (int s = 0; s < seq.Length; s++) seq[s] /= b.AnswerTokens[s];
        return seq;
    }

    public override Variable Loss(Tape tape, IReadOnlyList<int> rows, out long tokens)
    {
        var pairs = rows.Select(i => _train[i]).ToList();
        var batch = _collator.Collate(pairs);
        tokens = batch.Tokens;
        double[]? refs = null;
        if (_s.NeedsReference)
        {
            if (_refTrain != null)
            {
                refs = new double[batch.Rows];
                for (int i = 0; i < pairs.Count; i++)
                {
                    refs[i] = _refTrain[2 * rows[i]];
                    refs[pairs.Count + i] = _refTrain[2 * rows[i] + 1];
                }
            }
            else refs = ReferenceLogProbs(batch);
        }
        _live?.Dispose();
        _live = Input(batch);
        var logitSums = new float[batch.Labels.Length];
        var logp = _model.TokenLogProbs(new ForwardContext(tape), _live, batch.Labels, logitSums);
        var metrics = new Dictionary<string, double>();
        var loss = tape.ScalarFunction(logp, (x, g) => Objective(batch, refs, x, g, logitSums, metrics), "preference_loss");
        _window.Add(metrics);
        return loss;
    }

    public override void AfterBackward()
    {
        _live?.Dispose();
        _live = null;
    }

    /// <summary>
    /// The micro-batch loss as a function of the per-token log-probs x (N) with its gradient, and TRL's metrics:
    /// mean over pairs of the pair loss, plus the NLL term (ORPO: 1×, SimPO: cpo_alpha×) = −mean of x over NLL positions.
    /// </summary>
    internal double Objective(PreferenceBatch b, double[]? refs, ReadOnlySpan<float> x, Span<double> grad, float[]? logitSums, Dictionary<string, double> metrics)
    {
        int p = b.Pairs;
        var seq = SequenceLogProbs(b, x);
        var dSeq = new double[b.Rows];
        double loss = 0, rc = 0, rr = 0, acc = 0, margin = 0, lc = 0, lr = 0, ratio = 0, logOdds = 0;
        for (int i = 0; i < p; i++)
        {
            var pl = PreferenceLoss.Pair(_s, seq[i], seq[p + i], refs?[i] ?? 0, refs?[p + i] ?? 0);
            loss += pl.Loss / p;
            dSeq[i] = pl.DChosen / p;
            dSeq[p + i] = pl.DRejected / p;
            rc += pl.ChosenReward / p;
            rr += pl.RejectedReward / p;
            acc += (pl.ChosenReward > pl.RejectedReward ? 1.0 : 0.0) / p;
            margin += (pl.ChosenReward - pl.RejectedReward) / p;
            lc += seq[i] / p;
            lr += seq[p + i] / p;
            ratio += pl.LogOddsRatio / p;
            logOdds += pl.LogOdds / p;
        }
        grad.Clear();
        for (int i = 0; i < x.Length; i++)
            if (b.AnswerSequence[i] is var s and >= 0) grad[i] = _s.AveragesLogProbs ? dSeq[s] / b.AnswerTokens[s] : dSeq[s];
        double nll = 0;
        if (_s.HasNll)
        {
            int count = 0;
            double sum = 0;
            for (int i = 0; i < x.Length; i++)
                if (b.NllPosition[i]) { sum += x[i]; count++; }
            nll = count > 0 ? -sum / count : 0;
            double coef = _s.Method == PreferenceMethod.Orpo ? 1 : _s.CpoAlpha;
            loss += coef * nll;
            if (count > 0)
                for (int i = 0; i < x.Length; i++)
                    if (b.NllPosition[i]) grad[i] -= coef / count;
        }
        metrics["rewards/chosen"] = rc;
        metrics["rewards/rejected"] = rr;
        metrics["rewards/accuracies"] = acc;
        metrics["rewards/margins"] = margin;
        metrics["logps/chosen"] = lc;
        metrics["logps/rejected"] = lr;
        if (logitSums != null)
        {
            // TRL: logits[:P][loss_mask[:P]].mean(): every vocabulary entry at every scored answer position.
            double sc = 0, sr = 0;
            long nc = 0, nr = 0;
            for (int i = 0; i < x.Length; i++)
            {
                int s = b.AnswerSequence[i];
                if (s < 0) continue;
                if (s < p) { sc += logitSums[i]; nc++; }
                else { sr += logitSums[i]; nr++; }
            }
            int v = _model.Config.VocabSize;
            metrics["logits/chosen"] = nc > 0 ? sc / (nc * (double)v) : 0;
            metrics["logits/rejected"] = nr > 0 ? sr / (nr * (double)v) : 0;
        }
        if (_s.Method is PreferenceMethod.Orpo or PreferenceMethod.Simpo) metrics["nll_loss"] = nll;
        if (_s.Method == PreferenceMethod.Orpo)
        {
            metrics["log_odds_ratio"] = ratio;
            metrics["log_odds_chosen"] = logOdds;
        }
        return loss;
    }

    public override (double Loss, JsonObject Metrics) Evaluate(int batchSize)
    {
        if (_eval == null) throw new InvalidOperationException("no evaluation data");
        var window = new MetricWindow();
        double sum = 0;
        for (int first = 0; first < _eval.Count; first += batchSize)
        {
            int count = Math.Min(batchSize, _eval.Count - first);
            var pairs = Slice(_eval, first, count);
            var batch = _collator.Collate(pairs);
            double[]? refs = null;
            if (_s.NeedsReference)
            {
                if (_refEval != null)
                {
                    refs = new double[batch.Rows];
                    for (int i = 0; i < count; i++)
                    {
                        refs[i] = _refEval[2 * (first + i)];
                        refs[count + i] = _refEval[2 * (first + i) + 1];
                    }
                }
                else refs = ReferenceLogProbs(batch);
            }
            using var tape = new Tape();
            using var noGrad = tape.NoGrad();
            using var input = Input(batch);
            var logitSums = new float[batch.Labels.Length];
            var x = _model.TokenLogProbs(new ForwardContext(tape, AdapterSelection.Default, training: false), input, batch.Labels, logitSums).Value.ToFloatArray();
            var metrics = new Dictionary<string, double>();
            sum += Objective(batch, refs, x, new double[x.Length], logitSums, metrics) * count;
            window.Add(metrics);
        }
        var result = new JsonObject();
        foreach (var (k, v) in window.Drain()) result["eval_" + k] = v;
        return (sum / _eval.Count, result);
    }

    public override JsonObject DrainMetrics()
    {
        var o = new JsonObject();
        foreach (var (k, v) in _window.Drain()) o[k] = v;
        return o;
    }

    public override JsonObject SaveState() => _window.ToJson();

    public override void LoadState(JsonObject? state) => _window.Load(state);
}
