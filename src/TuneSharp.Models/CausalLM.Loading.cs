// Building a CausalLM from named tensors, and FromPretrained for HF folders (safetensors) and llama GGUF files.
using TuneSharp.Autograd;
using TuneSharp.Models.Config;
using TuneSharp.Models.Loading;
using TuneSharp.Models.Modules;
using TuneSharp.Nn;
using TuneSharp.Tensors;

namespace TuneSharp.Models;

public sealed partial class CausalLM
{
    /// <summary>
    /// Loads an HF model folder (config.json + model.safetensors or a sharded index) or a llama-architecture
    /// .gguf file. Parameters are frozen; safetensors weights stay memory-mapped in their dtype unless
    /// <see cref="ModelLoadOptions.DType"/> asks for a conversion. Throws <see cref="ModelLoadException"/> listing
    /// every missing/unexpected/mis-shaped tensor, or naming the bad file/field.
    /// </summary>
    public static CausalLM FromPretrained(string path, ModelLoadOptions? options = null)
    {
        options ??= new ModelLoadOptions();
        if (File.Exists(path) && path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase))
            return GgufModelLoader.Load(path, options);
        if (!Directory.Exists(path))
            throw new ModelLoadException(File.Exists(path)
                ? $"{path}: not a model folder or .gguf file"
                : $"{path}: model folder not found");
        return SafeTensorsLoader.Load(path, options);
    }

    /// <summary>
    /// Builds the modules from tensors keyed by the names of <see cref="WeightNames.Expected"/> (tied lm_head absent).
    /// 1-D tensors (norms, biases) must be F32; 2-D tensors may be any supported dtype.
    /// </summary>
    internal static CausalLM Build(ModelConfig c, IReadOnlyDictionary<string, Tensor> t, List<IDisposable> owned, string source)
    {
        Variable P(string name) => Variable.Parameter(t[name], trainable: false, name);
        float eps = (float)c.RmsNormEps;
        bool one = c.NormAddsOne;
        RmsNorm Norm(string name) => new(name[..^".weight".Length], P(name), eps, one);
        Linear Lin(string weight, string? bias) =>
            new(weight[..^".weight".Length], P(weight), bias != null ? P(bias) : null);

        var embed = new Embedding("model.embed_tokens", P(WeightNames.EmbedTokens), c.EmbeddingScale);
        var layers = new DecoderLayer[c.NumHiddenLayers];
        for (int i = 0; i < layers.Length; i++)
        {
            var attn = new SelfAttention(c, i,
                Lin(WeightNames.QProj(i), c.HasQkvBias ? WeightNames.QProjBias(i) : null),
                Lin(WeightNames.KProj(i), c.HasQkvBias ? WeightNames.KProjBias(i) : null),
                Lin(WeightNames.VProj(i), c.HasQkvBias ? WeightNames.VProjBias(i) : null),
                Lin(WeightNames.OProj(i), c.HasOutputBias ? WeightNames.OProjBias(i) : null),
                c.HasQkNorm ? Norm(WeightNames.QNorm(i)) : null,
                c.HasQkNorm ? Norm(WeightNames.KNorm(i)) : null);
            var mlp = new GatedMlp(i, c.Activation,
                Lin(WeightNames.GateProj(i), c.HasMlpBias ? WeightNames.GateProjBias(i) : null),
                Lin(WeightNames.UpProj(i), c.HasMlpBias ? WeightNames.UpProjBias(i) : null),
                Lin(WeightNames.DownProj(i), c.HasMlpBias ? WeightNames.DownProjBias(i) : null));
            layers[i] = new DecoderLayer(i, Norm(WeightNames.InputLayerNorm(i)), attn, Norm(WeightNames.PostAttentionLayerNorm(i)),
                c.HasPostNorms ? Norm(WeightNames.PreFeedForwardLayerNorm(i)) : null,
                c.HasPostNorms ? Norm(WeightNames.PostFeedForwardLayerNorm(i)) : null, mlp);
        }
        var norm = Norm(WeightNames.FinalNorm);
        var lmHead = c.TieWordEmbeddings ? new Linear("lm_head", embed.Weight) : new Linear("lm_head", P(WeightNames.LmHead));
        return new CausalLM(c, embed, layers, norm, lmHead, owned, source);
    }

    /// <summary>
    /// A model with random weights for benchmarks and tests: uniform matrices with standard deviation 0.02 (cheap to draw
    /// for 100M+ parameters) in <paramref name="dtype"/>,
    /// norms at their identity value, zero biases. Deterministic for a seed.
    /// </summary>
    public static CausalLM CreateRandom(ModelConfig config, DType dtype = DType.F32, int seed = 0)
    {
        var rng = new Random(seed);
        var owned = new List<IDisposable>();
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var spec in WeightNames.Expected(config))
        {
            Tensor t;
            int n = checked((int)spec.ElementCount);
            if (spec.Shape.Length == 1)
            {
                var v = new float[n];
                bool norm = spec.Name.EndsWith("norm.weight", StringComparison.Ordinal);
                if (norm && !config.NormAddsOne) Array.Fill(v, 1f);
                t = Tensor.FromArray(v, spec.Shape);
            }
            else
            {
                var v = new float[n];
                // U(−a, a) has σ = a/√3.
                float a = 0.02f * MathF.Sqrt(3f);
                for (int i = 0; i < n; i++) v[i] = (rng.NextSingle() * 2 - 1) * a;
                t = dtype == DType.BF16 ? Tensor.FromArrayBf16(v, spec.Shape) : Tensor.FromArray(v, spec.Shape);
                if (dtype == DType.F16) { var h = t.To(DType.F16); t.Dispose(); t = h; }
            }
            owned.Add(t);
            tensors[spec.Name] = t;
        }
        return Build(config, tensors, owned, "random");
    }
}
