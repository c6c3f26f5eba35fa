// HF BertModel / XLMRobertaModel / MPNetModel forward (modeling_bert.py, modeling_xlm_roberta.py, modeling_mpnet.py), eval mode, F32.
using TuneSharp.Tensors.IO;
using TuneSharp.Tensors.Kernels;

namespace TuneSharp.Models.Encoders;

/// <summary>
/// A post-LayerNorm transformer encoder returning last_hidden_state (B, T, C). Linear layers run on <see cref="Gemm"/>;
/// attention is a plain per-head loop (encoders here see short sentences). Padded keys are skipped, which equals HF's
/// additive mask of finfo.min: exp(min − max) is exactly 0 in F32. Dropout is off (eval).
/// </summary>
public sealed class TransformerEncoder
{
    private readonly float[] _word, _pos, _embLnW, _embLnB;
    private readonly float[]? _type0;
    private readonly float[]? _relBias;
    private readonly EncoderLayerWeights[] _layers;

    public EncoderConfig Config { get; }

    private TransformerEncoder(EncoderConfig config, float[] word, float[] pos, float[]? type0, float[] lnW, float[] lnB,
        EncoderLayerWeights[] layers, float[]? relBias)
    {
        Config = config; _word = word; _pos = pos; _type0 = type0; _embLnW = lnW; _embLnB = lnB; _layers = layers; _relBias = relBias;
    }

    /// <summary>Reads config.json and model.safetensors (single or sharded) from an HF folder.</summary>
    public static TransformerEncoder FromFolder(string folder)
    {
        var configPath = Path.Combine(folder, "config.json");
        if (!File.Exists(configPath)) throw new EncoderLoadException($"{folder}: no config.json; give the folder of an HF BERT / XLM-RoBERTa / MPNet model");
        var config = EncoderConfig.FromFile(configPath);
        if (!File.Exists(Path.Combine(folder, SafeTensorsModel.SingleFileName)) && !File.Exists(Path.Combine(folder, SafeTensorsModel.IndexFileName)))
            throw new EncoderLoadException($"{folder}: no model.safetensors; only safetensors weights are read (convert pytorch_model.bin with safetensors' convert script)");
        using var st = SafeTensorsModel.Open(folder);
        return FromWeights(config, st, folder);
    }

    internal static TransformerEncoder FromWeights(EncoderConfig c, SafeTensorsModel st, string source)
    {
        // Checkpoints saved from a task model carry a prefix ("bert.", "roberta.", "mpnet."); find it from the word embeddings.
        const string anchor = "embeddings.word_embeddings.weight";
        var anchorName = st.Names.FirstOrDefault(n => n.EndsWith(anchor, StringComparison.Ordinal))
            ?? throw new EncoderLoadException($"{source}: no tensor named *{anchor}; this is not a BERT/XLM-R/MPNet checkpoint");
        string prefix = anchorName[..^anchor.Length];
        var problems = new List<string>();
        int C = c.HiddenSize, I = c.IntermediateSize;
        float[] Get(string name, params int[] shape)
        {
            string full = prefix + name;
            if (!st.Contains(full) && name.EndsWith("LayerNorm.weight", StringComparison.Ordinal) && st.Contains(full[..^6] + "gamma")) full = full[..^6] + "gamma";
            if (!st.Contains(full) && name.EndsWith("LayerNorm.bias", StringComparison.Ordinal) && st.Contains(full[..^4] + "beta")) full = full[..^4] + "beta";
            if (!st.Contains(full)) { problems.Add($"missing {full} {Shape(shape)}"); return new float[shape.Aggregate(1, (a, b) => a * b)]; }
            var info = st.GetInfo(full);
            if (!info.Shape.SequenceEqual(shape.Select(x => (long)x)))
            {
                problems.Add($"{full} has shape {Shape(info.Shape.Select(x => (int)x))}, config says {Shape(shape)}");
                return new float[shape.Aggregate(1, (a, b) => a * b)];
            }
            using var t = st.GetTensor(full);
            return t.ToFloatArray();
        }
        var word = Get("embeddings.word_embeddings.weight", c.VocabSize, C);
        var pos = Get("embeddings.position_embeddings.weight", c.MaxPositionEmbeddings, C);
        float[]? type0 = null;
        if (c.Architecture != EncoderArchitecture.MPNet && c.TypeVocabSize > 0)
            type0 = Get("embeddings.token_type_embeddings.weight", c.TypeVocabSize, C)[..C];
        var lnW = Get("embeddings.LayerNorm.weight", C);
        var lnB = Get("embeddings.LayerNorm.bias", C);
        var layers = new EncoderLayerWeights[c.NumHiddenLayers];
        bool mp = c.Architecture == EncoderArchitecture.MPNet;
        for (int l = 0; l < layers.Length; l++)
        {
            string p = $"encoder.layer.{l}.";
            string q = mp ? "attention.attn.q" : "attention.self.query", k = mp ? "attention.attn.k" : "attention.self.key";
            string v = mp ? "attention.attn.v" : "attention.self.value", o = mp ? "attention.attn.o" : "attention.output.dense";
            string aln = mp ? "attention.LayerNorm" : "attention.output.LayerNorm";
            layers[l] = new EncoderLayerWeights
            {
                Wq = Get(p + q + ".weight", C, C), Bq = Get(p + q + ".bias", C),
                Wk = Get(p + k + ".weight", C, C), Bk = Get(p + k + ".bias", C),
                Wv = Get(p + v + ".weight", C, C), Bv = Get(p + v + ".bias", C),
                Wo = Get(p + o + ".weight", C, C), Bo = Get(p + o + ".bias", C),
                AttnLnW = Get(p + aln + ".weight", C), AttnLnB = Get(p + aln + ".bias", C),
                Wi = Get(p + "intermediate.dense.weight", I, C), Bi = Get(p + "intermediate.dense.bias", I),
                Wout = Get(p + "output.dense.weight", C, I), Bout = Get(p + "output.dense.bias", C),
                OutLnW = Get(p + "output.LayerNorm.weight", C), OutLnB = Get(p + "output.LayerNorm.bias", C),
            };
        }
        float[]? rel = mp ? Get("encoder.relative_attention_bias.weight", c.RelativeAttentionNumBuckets, c.NumAttentionHeads) : null;
        if (problems.Count > 0)
            throw new EncoderLoadException($"{source}: the checkpoint does not match config.json: {string.Join("; ", problems.Take(12))}{(problems.Count > 12 ? $"; … {problems.Count - 12} more" : "")}");
        return new TransformerEncoder(c, word, pos, type0, lnW, lnB, layers, rel);
    }

    private static string Shape(IEnumerable<int> s) => "[" + string.Join(", ", s) + "]";

    /// <summary>Position ids HF uses for a row: 0..T-1 (BERT), or padding_idx + cumsum(id ≠ pad) with pads at padding_idx.</summary>
    public int[] PositionIds(ReadOnlySpan<int> ids)
    {
        var pos = new int[ids.Length];
        if (Config.Architecture == EncoderArchitecture.Bert)
        {
            for (int i = 0; i < pos.Length; i++) pos[i] = i;
            return pos;
        }
        // MPNetEmbeddings hard-codes padding_idx = 1; XLMRobertaEmbeddings uses config.pad_token_id.
        int pad = Config.Architecture == EncoderArchitecture.MPNet ? 1 : Config.PadTokenId;
        int run = 0;
        for (int i = 0; i < ids.Length; i++)
        {
            if (ids[i] != pad) { run++; pos[i] = run + pad; }
            else pos[i] = pad;
        }
        return pos;
    }

    /// <summary>last_hidden_state for a padded batch: ids and mask (B, T) → (B·T·C) row-major.</summary>
    public float[] Forward(int[][] ids, int[][] mask)
    {
        int B = ids.Length, T = B == 0 ? 0 : ids[0].Length, C = Config.HiddenSize;
        int N = B * T;
        var x = new float[N * C];
        for (int b = 0; b < B; b++)
        {
            if (ids[b].Length != T || mask[b].Length != T) throw new ArgumentException("every row of ids and mask must have the same length");
            var pos = PositionIds(ids[b]);
            for (int t = 0; t < T; t++)
            {
                int id = ids[b][t];
                if ((uint)id >= (uint)Config.VocabSize) throw new ArgumentOutOfRangeException(nameof(ids), $"token id {id} is outside the vocabulary (0..{Config.VocabSize - 1})");
                if (pos[t] >= Config.MaxPositionEmbeddings)
                    throw new ArgumentOutOfRangeException(nameof(ids), $"sequence of {T} tokens exceeds max_position_embeddings {Config.MaxPositionEmbeddings}");
                var row = x.AsSpan((b * T + t) * C, C);
                var w = _word.AsSpan(id * C, C);
                var p = _pos.AsSpan(pos[t] * C, C);
                for (int c = 0; c < C; c++) row[c] = w[c] + p[c] + (_type0 is null ? 0f : _type0[c]);
            }
        }
        LayerNorm(x, _embLnW, _embLnB, C);
        float[]? bias = _relBias is null ? null : RelativeBias(T);
        foreach (var layer in _layers) Layer(layer, x, mask, B, T, bias);
        return x;
    }

    private void Layer(EncoderLayerWeights w, float[] x, int[][] mask, int B, int T, float[]? relBias)
    {
        int C = Config.HiddenSize, H = Config.NumAttentionHeads, D = Config.HeadDim, N = B * T;
        var q = Linear(x, w.Wq, w.Bq, N, C, C);
        var k = Linear(x, w.Wk, w.Bk, N, C, C);
        var v = Linear(x, w.Wv, w.Bv, N, C, C);
        var ctx = new float[N * C];
        var scores = new float[T];
        float scale = 1f / MathF.Sqrt(D);
        for (int b = 0; b < B; b++)
            for (int h = 0; h < H; h++)
                for (int i = 0; i < T; i++)
                {
                    var qi = q.AsSpan((b * T + i) * C + h * D, D);
                    float max = float.NegativeInfinity;
                    for (int j = 0; j < T; j++)
                    {
                        if (mask[b][j] == 0) { scores[j] = float.NegativeInfinity; continue; }
                        var kj = k.AsSpan((b * T + j) * C + h * D, D);
                        float s = 0;
                        for (int d = 0; d < D; d++) s += qi[d] * kj[d];
                        s *= scale;
                        if (relBias is not null) s += relBias[(h * T + i) * T + j];
                        scores[j] = s;
                        if (s > max) max = s;
                    }
                    double sum = 0;
                    for (int j = 0; j < T; j++)
                    {
                        float e = mask[b][j] == 0 ? 0f : MathF.Exp(scores[j] - max);
                        scores[j] = e;
                        sum += e;
                    }
                    float inv = (float)(1.0 / sum);
                    var ci = ctx.AsSpan((b * T + i) * C + h * D, D);
                    for (int j = 0; j < T; j++)
                    {
                        if (scores[j] == 0f) continue;
                        float p = scores[j] * inv;
                        var vj = v.AsSpan((b * T + j) * C + h * D, D);
                        for (int d = 0; d < D; d++) ci[d] += p * vj[d];
                    }
                }
        var attn = Linear(ctx, w.Wo, w.Bo, N, C, C);
        for (int i = 0; i < attn.Length; i++) attn[i] += x[i];
        LayerNorm(attn, w.AttnLnW, w.AttnLnB, C);
        var inter = Linear(attn, w.Wi, w.Bi, N, Config.IntermediateSize, C);
        Gelu.Apply(inter);
        var output = Linear(inter, w.Wout, w.Bout, N, C, Config.IntermediateSize);
        for (int i = 0; i < output.Length; i++) output[i] += attn[i];
        LayerNorm(output, w.OutLnW, w.OutLnB, C);
        output.CopyTo(x, 0);
    }

    /// <summary>y (N, n) = x (N, k) · Wᵀ + b.</summary>
    private static float[] Linear(float[] x, float[] w, float[] b, int rows, int n, int k)
    {
        var y = new float[rows * n];
        if (rows == 0) return y;
        Gemm.MatMulTransB(x, w, y, rows, n, k);
        for (int r = 0; r < rows; r++)
        {
            var yr = y.AsSpan(r * n, n);
            for (int j = 0; j < n; j++) yr[j] += b[j];
        }
        return y;
    }

    /// <summary>nn.LayerNorm over the last dim in place: biased variance, eps inside the square root.</summary>
    private void LayerNorm(float[] x, float[] w, float[] b, int C)
    {
        double eps = Config.LayerNormEps;
        for (int r = 0; r < x.Length / C; r++)
        {
            var row = x.AsSpan(r * C, C);
            double mean = 0;
            for (int c = 0; c < C; c++) mean += row[c];
            mean /= C;
            double var = 0;
            for (int c = 0; c < C; c++) { double d = row[c] - mean; var += d * d; }
            var /= C;
            double inv = 1.0 / Math.Sqrt(var + eps);
            for (int c = 0; c < C; c++) row[c] = (float)((row[c] - mean) * inv * w[c] + b[c]);
        }
    }

    /// <summary>
    /// MPNetEncoder.compute_position_bias for T positions: (H, T, T) from relative_attention_bias[bucket(j − i)].
    /// HF always buckets with num_buckets = 32 and max_distance = 128 here, whatever the config says.
    /// </summary>
    private float[] RelativeBias(int T)
    {
        int H = Config.NumAttentionHeads;
        var bias = new float[H * T * T];
        for (int i = 0; i < T; i++)
            for (int j = 0; j < T; j++)
            {
                int bucket = RelativePositionBucket(j - i);
                for (int h = 0; h < H; h++) bias[(h * T + i) * T + j] = _relBias![bucket * H + h];
            }
        return bias;
    }

    /// <summary>MPNetEncoder.relative_position_bucket (T5-style, bidirectional), with its F32 log arithmetic.</summary>
    public static int RelativePositionBucket(int relativePosition, int numBuckets = 32, int maxDistance = 128)
    {
        int ret = 0;
        int n = -relativePosition;
        numBuckets /= 2;
        if (n < 0) ret += numBuckets;
        n = Math.Abs(n);
        int maxExact = numBuckets / 2;
        if (n < maxExact) return ret + n;
        // torch: (log(n.float() / max_exact) / math.log(max_distance / max_exact) * (num_buckets - max_exact)).to(long), all in F32.
        float ratio = MathF.Log((float)n / maxExact) / (float)Math.Log((double)maxDistance / maxExact) * (numBuckets - maxExact);
        int large = maxExact + (int)ratio;
        return ret + Math.Min(large, numBuckets - 1);
    }
}
