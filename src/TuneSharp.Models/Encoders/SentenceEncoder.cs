// A sentence-transformers model read from its folder (modules.json: Transformer → Pooling → optional Normalize), as SentenceTransformer.encode.
using System.Text.Json.Nodes;
using TuneSharp.Tokenizers;

namespace TuneSharp.Models.Encoders;

/// <summary>
/// Encodes texts into sentence embeddings the way sentence-transformers does: tokenize with truncation to
/// max_seq_length (special tokens kept), pad each batch to its longest row, run the HF encoder, pool
/// (1_Pooling/config.json), and L2-normalise when modules.json lists a Normalize module (x / max(‖x‖, 1e-12)).
/// </summary>
public sealed class SentenceEncoder
{
    public TransformerEncoder Encoder { get; }
    public Tokenizer Tokenizer { get; }
    public PoolingConfig Pooling { get; }
    public bool Normalize { get; }
    public int MaxSeqLength { get; }
    public bool DoLowerCase { get; }
    public int Dimension => Pooling.OutputDimension(Encoder.Config.HiddenSize);

    public SentenceEncoder(TransformerEncoder encoder, Tokenizer tokenizer, PoolingConfig pooling, bool normalize, int maxSeqLength, bool doLowerCase = false)
    {
        Encoder = encoder; Tokenizer = tokenizer; Pooling = pooling; Normalize = normalize; MaxSeqLength = maxSeqLength; DoLowerCase = doLowerCase;
    }

    /// <summary>
    /// Reads a sentence-transformers folder. <paramref name="poolingOverride"/> replaces 1_Pooling/config.json (needed
    /// for a plain HF encoder folder without modules.json).
    /// </summary>
    public static SentenceEncoder FromFolder(string folder, PoolingConfig? poolingOverride = null, bool? normalizeOverride = null)
    {
        if (!Directory.Exists(folder)) throw new EncoderLoadException($"{folder}: embedding model folder not found");
        string transformerDir = folder;
        PoolingConfig? pooling = poolingOverride;
        bool normalize = false;
        var modulesPath = Path.Combine(folder, "modules.json");
        if (File.Exists(modulesPath))
        {
            var modules = JsonNode.Parse(File.ReadAllText(modulesPath)) as JsonArray
                ?? throw new EncoderLoadException($"{modulesPath}: expected a JSON array of modules");
            foreach (var m in modules)
            {
                string type = m?["type"]?.GetValue<string>() ?? "";
                string path = m?["path"]?.GetValue<string>() ?? "";
                string dir = Path.Combine(folder, path);
                if (type.EndsWith("models.Transformer", StringComparison.Ordinal)) transformerDir = dir;
                else if (type.EndsWith("models.Pooling", StringComparison.Ordinal))
                {
                    var cfg = Path.Combine(dir, "config.json");
                    if (pooling is null)
                    {
                        if (!File.Exists(cfg))
                            throw new EncoderLoadException($"{folder}: modules.json lists a Pooling module at \"{path}\" but {cfg} is missing; copy 1_Pooling/config.json from the model's repository, or choose pooling explicitly (--pooling mean|cls)");
                        pooling = PoolingConfig.FromFile(cfg);
                    }
                }
                else if (type.EndsWith("models.Normalize", StringComparison.Ordinal)) normalize = true;
                else throw new EncoderLoadException($"{modulesPath}: module type \"{type}\" is not supported (supported: Transformer, Pooling, Normalize)");
            }
        }
        if (pooling is null)
            throw new EncoderLoadException($"{folder}: no pooling config (modules.json + 1_Pooling/config.json), so the sentence embedding is undefined; use a sentence-transformers folder, or choose pooling explicitly (--pooling mean|cls)");
        normalize = normalizeOverride ?? normalize;
        var encoder = TransformerEncoder.FromFolder(transformerDir);
        if (!File.Exists(Path.Combine(transformerDir, "tokenizer.json")))
            throw new EncoderLoadException($"{transformerDir}: no tokenizer.json; save the model's fast tokenizer (tokenizer.save_pretrained) into the folder");
        var tokenizer = Tokenizer.FromPretrained(transformerDir);
        int maxLen = encoder.Config.Architecture == EncoderArchitecture.Bert ? encoder.Config.MaxPositionEmbeddings : encoder.Config.MaxPositionEmbeddings - 2;
        bool lower = false;
        var stConfig = Path.Combine(transformerDir, "sentence_bert_config.json");
        if (File.Exists(stConfig))
        {
            var node = JsonNode.Parse(File.ReadAllText(stConfig));
            if (node?["max_seq_length"] is JsonValue v) maxLen = Math.Min(maxLen, v.GetValue<int>());
            lower = node?["do_lower_case"]?.GetValue<bool>() ?? false;
        }
        return new SentenceEncoder(encoder, tokenizer, pooling, normalize, maxLen, lower);
    }

    /// <summary>Token ids of one text with special tokens, truncated to <see cref="MaxSeqLength"/> keeping the specials (HF longest_first).</summary>
    public int[] Tokenize(string text)
    {
        // sentence-transformers' Transformer.tokenize strips each text, then lowercases when do_lower_case is set.
        text = text.Trim();
        if (DoLowerCase) text = text.ToLowerInvariant();
        var full = Tokenizer.Encode(text, addSpecialTokens: true);
        if (full.Length <= MaxSeqLength) return full;
        var plain = Tokenizer.Encode(text, addSpecialTokens: false);
        int extra = full.Length - plain.Length;
        int prefix = 0;
        for (int p = 0; p <= extra; p++)
            if (full.AsSpan(p, plain.Length).SequenceEqual(plain)) { prefix = p; break; }
        int keep = Math.Max(0, MaxSeqLength - extra);
        return [.. full[..prefix], .. plain[..keep], .. full[(prefix + plain.Length)..]];
    }

    /// <summary>Embeddings of <paramref name="texts"/> in input order, computed in length-sorted batches.</summary>
    public float[][] Encode(IReadOnlyList<string> texts, int batchSize = 32)
    {
        var ids = texts.Select(Tokenize).ToArray();
        var order = Enumerable.Range(0, ids.Length).OrderByDescending(i => ids[i].Length).ToArray();
        var result = new float[texts.Count][];
        for (int start = 0; start < order.Length; start += batchSize)
        {
            var chunk = order.Skip(start).Take(batchSize).ToArray();
            var emb = EncodeIds(chunk.Select(i => ids[i]).ToArray());
            for (int k = 0; k < chunk.Length; k++) result[chunk[k]] = emb[k];
        }
        return result;
    }

    /// <summary>Embeddings of already tokenized rows, run as one right-padded batch.</summary>
    public float[][] EncodeIds(IReadOnlyList<int[]> rows)
    {
        if (rows.Count == 0) return [];
        int T = rows.Max(r => r.Length), C = Encoder.Config.HiddenSize;
        int pad = Tokenizer.PadTokenId ?? Encoder.Config.PadTokenId;
        var ids = new int[rows.Count][];
        var mask = new int[rows.Count][];
        for (int b = 0; b < rows.Count; b++)
        {
            ids[b] = new int[T];
            mask[b] = new int[T];
            Array.Fill(ids[b], pad);
            rows[b].CopyTo(ids[b], 0);
            for (int t = 0; t < rows[b].Length; t++) mask[b][t] = 1;
        }
        var hidden = Encoder.Forward(ids, mask);
        var result = new float[rows.Count][];
        for (int b = 0; b < rows.Count; b++)
        {
            var e = new float[Dimension];
            Pooling.Pool(hidden.AsSpan(b * T * C, T * C), mask[b], C, e);
            if (Normalize)
            {
                double norm = 0;
                foreach (var v in e) norm += (double)v * v;
                float inv = (float)(1.0 / Math.Max(Math.Sqrt(norm), 1e-12));
                for (int i = 0; i < e.Length; i++) e[i] *= inv;
            }
            result[b] = e;
        }
        return result;
    }

    /// <summary>Cosine similarity of two vectors (sentence-transformers util.cos_sim for one pair).</summary>
    public static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++) { dot += (double)a[i] * b[i]; na += (double)a[i] * a[i]; nb += (double)b[i] * b[i]; }
        return dot / (Math.Max(Math.Sqrt(na), 1e-8) * Math.Max(Math.Sqrt(nb), 1e-8));
    }
}
