// Injects LoRA adapters into named linear layers with PEFT semantics (peft/tuners/lora/model.py, layer.py):
// kaiming-uniform A, zero B, seeded; merge / unmerge / merge_and_unload; modules_to_save; QLoRA base quantization.
using TuneSharp.Autograd;
using TuneSharp.Autograd.Ops;
using TuneSharp.Tensors;
using TuneSharp.Tensors.Kernels;

namespace TuneSharp.Nn.Lora;

/// <summary>
/// The LoRA-wrapped view of a model: which layers carry adapters, which modules are trained in full
/// (<c>modules_to_save</c>), and the trainable parameters in PEFT's in-model names
/// (<c>&lt;module&gt;.lora_A.weight</c>, <c>&lt;module&gt;.lora_B.weight</c>, <c>&lt;module&gt;.weight</c>).
/// </summary>
public sealed class LoraModel
{
    private readonly List<Linear> _adapted;
    private readonly List<Linear> _saved;
    private readonly List<Embedding> _adaptedEmbeddings;
    private readonly Dictionary<Embedding, Variable> _unmergedTables = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<Linear, Variable> _unmergedWeights = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<Linear, Nf4Matrix> _unmergedNf4 = new(ReferenceEqualityComparer.Instance);

    private LoraModel(LoraConfig config, string adapterName, List<Linear> adapted, List<Linear> saved, List<Embedding> adaptedEmbeddings)
    {
        Config = config;
        AdapterName = adapterName;
        _adapted = adapted;
        _saved = saved;
        _adaptedEmbeddings = adaptedEmbeddings;
    }

    public LoraConfig Config { get; }

    /// <summary>The adapter's name on its layers (PEFT adapter_name; "default" unless loaded under another name).</summary>
    public string AdapterName { get; }

    /// <summary>Layers carrying an adapter, in model order.</summary>
    public IReadOnlyList<Linear> AdaptedLayers => _adapted;

    /// <summary>Embeddings carrying an adapter (lora_embedding_A (r, V), lora_embedding_B (C, r)).</summary>
    public IReadOnlyList<Embedding> AdaptedEmbeddings => _adaptedEmbeddings;

    /// <summary>modules_to_save layers (trainable F32 copies of weight and bias).</summary>
    public IReadOnlyList<Linear> SavedModules => _saved;

    /// <summary>True after <see cref="Merge"/> until <see cref="Unmerge"/>.</summary>
    public bool IsMerged { get; private set; }

    /// <summary>
    /// Wraps every linear whose name matches <paramref name="config"/>'s target_modules (PEFT rules) with a fresh
    /// adapter — A: (r, in) ~ U(−1/√in, 1/√in) (torch kaiming_uniform_(a=√5) on an (r, in) tensor: gain √(2/(1+5)),
    /// bound = gain·√3/√fan_in = 1/√in), B: (out, r) = 0 — so the wrapped model starts equal to the base model.
    /// Each layer's A comes from its own stream keyed by (seed, module name), so adding a target does not change the
    /// others. Embeddings passed in <paramref name="embeddings"/> that match a target get PEFT's embedding adapter
    /// (lora_embedding_A (r, V) = 0, lora_embedding_B (C, r) ~ N(0, 1), seeded). <paramref name="otherModuleNames"/>
    /// only serves the error messages: a target matching one of them is rejected with <see cref="NotSupportedException"/>.
    /// </summary>
    public static LoraModel Inject(IEnumerable<(string Name, Linear Layer)> linears, LoraConfig config, int seed = 0,
        IEnumerable<string>? otherModuleNames = null, IEnumerable<(string Name, Embedding Layer)>? embeddings = null,
        string adapterName = AdapterSelection.DefaultName)
    {
        ArgumentNullException.ThrowIfNull(linears);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        var all = linears.ToList();
        var embeds = embeddings?.ToList() ?? [];
        var others = (otherModuleNames?.ToList() ?? []).Where(o => !embeds.Any(e => e.Name == o)).ToList();
        foreach (var other in others)
            if (config.IsTarget(other))
                throw new ConfigException($"LoRA: target_modules matches '{other}', which is neither a linear layer nor an embedding passed to Inject — remove it from target_modules");

        // Every listed key must match something (PEFT errors only when nothing matches; a silently ignored typo
        // such as "q_porj" is worse than an error).
        if (config.TargetModulesRegex == null)
            foreach (var key in config.TargetModules)
                if (key != "all-linear" && !all.Any(l => LoraConfig.MatchesSuffix(l.Name, key)) && !embeds.Any(e => LoraConfig.MatchesSuffix(e.Name, key)))
                    throw new ConfigException($"LoRA: target module '{key}' matches no linear layer of the model. Available: {Available(all)}{(embeds.Count > 0 ? ", " + string.Join(", ", embeds.Select(e => e.Name[(e.Name.LastIndexOf('.') + 1)..])) : "")}");
        foreach (var key in config.ModulesToSave)
            if (!all.Any(l => LoraConfig.MatchesSuffix(l.Name, key)))
                throw new ConfigException(others.Any(o => LoraConfig.MatchesSuffix(o, key))
                    ? $"LoRA: modules_to_save '{key}' is not a linear layer; only linear layers can be saved in full for now"
                    : $"LoRA: modules_to_save '{key}' matches no linear layer of the model. Available: {Available(all)}");

        var adapted = new List<Linear>();
        var saved = new List<Linear>();
        foreach (var (name, layer) in all)
        {
            if (layer.GetAdapter(adapterName) != null) throw new InvalidOperationException($"LoRA: layer '{name}' already has an adapter named '{adapterName}'");
            if (config.IsModuleToSave(name))
            {
                if (adapterName != AdapterSelection.DefaultName)
                    throw new ConfigException($"LoRA: adapter '{adapterName}' has modules_to_save ({name}); only the default adapter may replace base modules");
                MakeFullyTrainable(layer);
                saved.Add(layer);
                continue;
            }
            if (!config.IsTarget(name)) continue;
            int inF = layer.InFeatures, outF = layer.OutFeatures, r = config.R;
            var a = new float[r * inF];
            float bound = 1f / MathF.Sqrt(inF);
            var rng = new Random(StreamSeed(seed, name));
            for (int i = 0; i < a.Length; i++) a[i] = (float)(rng.NextDouble() * 2 - 1) * bound;
            var av = Variable.Parameter(Tensor.FromArray(a, r, inF), trainable: true, name + ".lora_A.weight");
            var bv = Variable.Parameter(Tensor.Zeros(outF, r), trainable: true, name + ".lora_B.weight");
            layer.SetAdapter(adapterName, new LoraAdapter(av, bv, config.LoraAlpha, config.UseRslora, config.LoraDropout));
            adapted.Add(layer);
        }
        var adaptedEmbeddings = new List<Embedding>();
        foreach (var (name, emb) in embeds)
        {
            // "all-linear" never selects embeddings (PEFT).
            bool hit = config.TargetModulesRegex != null ? config.IsTarget(name) : config.TargetModules.Any(t => LoraConfig.MatchesSuffix(name, t));
            if (!hit) continue;
            if (emb.GetAdapter(adapterName) != null) throw new InvalidOperationException($"LoRA: embedding '{name}' already has an adapter named '{adapterName}'");
            int r = config.R, vocab = emb.VocabSize, dim = emb.EmbeddingDim;
            var bvals = new float[dim * r];
            var rng = new Random(StreamSeed(seed, name));
            for (int i = 0; i < bvals.Length; i++)
            {
                // Box–Muller: nn.init.normal_(B) (mean 0, std 1).
                double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
                bvals[i] = (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
            }
            var av = Variable.Parameter(Tensor.Zeros(r, vocab), trainable: true, name + ".lora_embedding_A");
            var bv = Variable.Parameter(Tensor.FromArray(bvals, dim, r), trainable: true, name + ".lora_embedding_B");
            emb.SetAdapter(adapterName, new LoraAdapter(av, bv, config.LoraAlpha, config.UseRslora, dropout: 0f));
            adaptedEmbeddings.Add(emb);
        }
        if (adapted.Count == 0 && adaptedEmbeddings.Count == 0 && config.TargetModulesRegex != null)
            throw new ConfigException($"LoRA: target_modules regex '{config.TargetModulesRegex}' matches no linear layer of the model. Available: {Available(all)}");
        return new LoraModel(config, adapterName, adapted, saved, adaptedEmbeddings);
    }

    /// <summary>
    /// PEFT get_peft_model on a module tree: every <see cref="Linear"/> and <see cref="Embedding"/> under
    /// <paramref name="model"/> is a candidate (found by the walk, named by its HF path); other leaf modules only
    /// serve the error messages. The output head is a target only when named explicitly ("all-linear" skips it).
    /// </summary>
    public static LoraModel Inject(Module model, LoraConfig config, int seed = 0, string adapterName = AdapterSelection.DefaultName)
    {
        ArgumentNullException.ThrowIfNull(model);
        var (linears, embeddings, others) = Candidates(model);
        return Inject(linears, config, seed, others, embeddings, adapterName);
    }

    /// <summary>The walk's LoRA candidates: linears, embeddings and the names of the other leaf modules.</summary>
    internal static (List<(string, Linear)> Linears, List<(string, Embedding)> Embeddings, List<string> Others) Candidates(Module model)
    {
        var modules = model.Modules().ToList();
        var linears = modules.OfType<Linear>().Select(l => (l.Name, l)).ToList();
        var embeddings = modules.OfType<Embedding>().Select(e => (e.Name, e)).ToList();
        var others = modules.Where(m => m is not (Linear or Embedding) && !m.Children().Any()).Select(m => m.Name).ToList();
        return (linears, embeddings, others);
    }

    /// <summary>The adapter of this model on <paramref name="layer"/>.</summary>
    public LoraAdapter AdapterOf(Linear layer) => layer.GetAdapter(AdapterName) ?? throw new InvalidOperationException($"LoRA: layer '{layer.Name}' has no adapter '{AdapterName}'");

    /// <summary>The adapter of this model on <paramref name="embedding"/>.</summary>
    public LoraAdapter AdapterOf(Embedding embedding) => embedding.GetAdapter(AdapterName) ?? throw new InvalidOperationException($"LoRA: embedding '{embedding.Name}' has no adapter '{AdapterName}'");

    /// <summary>Removes this adapter from every layer (PEFT delete_adapter); modules_to_save copies stay.</summary>
    public void Remove()
    {
        if (IsMerged) throw new InvalidOperationException($"LoRA: unmerge adapter '{AdapterName}' before removing it");
        foreach (var l in _adapted) l.SetAdapter(AdapterName, null);
        foreach (var e in _adaptedEmbeddings) e.SetAdapter(AdapterName, null);
        _adapted.Clear();
        _adaptedEmbeddings.Clear();
    }

    /// <summary>Trainable parameters in PEFT in-model names: adapters first (A, B per layer), then modules_to_save.</summary>
    public IReadOnlyList<(string Name, Variable Parameter)> TrainableParameters()
    {
        var list = new List<(string, Variable)>();
        foreach (var l in _adapted)
        {
            list.Add((l.Name + ".lora_A.weight", AdapterOf(l).A));
            list.Add((l.Name + ".lora_B.weight", AdapterOf(l).B));
        }
        foreach (var e in _adaptedEmbeddings)
        {
            list.Add((e.Name + ".lora_embedding_A", AdapterOf(e).A));
            list.Add((e.Name + ".lora_embedding_B", AdapterOf(e).B));
        }
        foreach (var l in _saved)
        {
            list.Add((l.Name + ".weight", l.Weight));
            if (l.Bias != null) list.Add((l.Name + ".bias", l.Bias));
        }
        return list;
    }

    /// <summary>Number of trainable scalars (PEFT print_trainable_parameters).</summary>
    public long TrainableParameterCount => TrainableParameters().Sum(p => p.Parameter.Shape.ElementCount);

    /// <summary>
    /// Folds ΔW = scaling·B·A into every adapted layer: the layer's weight becomes an F32 W + ΔW (an NF4 base is
    /// dequantized first, as PEFT does for bnb layers) and the side path is skipped. The original weight is kept
    /// so <see cref="Unmerge"/> restores it exactly.
    /// </summary>
    public void Merge()
    {
        if (IsMerged) throw new InvalidOperationException("LoRA: adapters are already merged");
        foreach (var m in _adapted.Cast<Module>().Concat(_adaptedEmbeddings))
        {
            int count = ((AdaptedModule)m).Adapters.Count;
            if (count > 1) throw new InvalidOperationException($"LoRA: '{m.Name}' carries {count} adapters; merging '{AdapterName}' into the shared base weight would change the others (remove them first)");
        }
        foreach (var l in _adapted)
        {
            var merged = MergedWeight(l, AdapterOf(l));
            if (l.QuantizedWeight is { } q) _unmergedNf4[l] = q;
            _unmergedWeights[l] = l.Weight;
            l.QuantizedWeight = null;
            l.Weight = Variable.Parameter(merged, trainable: false, l.Name + ".weight");
            AdapterOf(l).Merged = true;
        }
        foreach (var e in _adaptedEmbeddings)
        {
            // W (V, C) += scaling·(B·A)ᵀ (PEFT lora.Embedding.get_delta_weight).
            var merged = e.Weight.Value.To(DType.F32);
            using (var delta = DeltaWeight(AdapterOf(e)))
            {
                var d = delta.Span;
                var w = merged.Span;
                int dim = e.EmbeddingDim, vocab = e.VocabSize;
                for (int c = 0; c < dim; c++)
                    for (int v = 0; v < vocab; v++) w[v * dim + c] += d[c * vocab + v];
            }
            _unmergedTables[e] = e.Weight;
            e.Weight = Variable.Parameter(merged, trainable: false, e.Name + ".weight");
            AdapterOf(e).Merged = true;
        }
        IsMerged = true;
    }

    /// <summary>Restores the unmerged base weights (bit-identical to before <see cref="Merge"/>) and re-enables the side path.</summary>
    public void Unmerge()
    {
        if (!IsMerged) throw new InvalidOperationException("LoRA: adapters are not merged");
        foreach (var l in _adapted)
        {
            var mergedTensor = l.Weight.Value;
            l.Weight = _unmergedWeights[l];
            if (_unmergedNf4.TryGetValue(l, out var q)) l.QuantizedWeight = q;
            AdapterOf(l).Merged = false;
            mergedTensor.Dispose();
        }
        foreach (var e in _adaptedEmbeddings)
        {
            var mergedTensor = e.Weight.Value;
            e.Weight = _unmergedTables[e];
            AdapterOf(e).Merged = false;
            mergedTensor.Dispose();
        }
        _unmergedWeights.Clear();
        _unmergedNf4.Clear();
        _unmergedTables.Clear();
        IsMerged = false;
    }

    /// <summary>
    /// PEFT merge_and_unload: every adapted layer gets the merged F32 weight (frozen) and loses its adapter;
    /// modules_to_save keep their trained copies. The LoraModel is empty afterwards.
    /// </summary>
    public void MergeAndUnload()
    {
        if (!IsMerged) Merge();
        foreach (var l in _adapted) l.SetAdapter(AdapterName, null);
        foreach (var e in _adaptedEmbeddings) e.SetAdapter(AdapterName, null);
        _unmergedWeights.Clear();
        _unmergedNf4.Clear();
        _unmergedTables.Clear();
        _adapted.Clear();
        _adaptedEmbeddings.Clear();
        IsMerged = false;
    }

    /// <summary>ΔW (out, in) = scaling·(B·A) in F32 (PEFT get_delta_weight with fan_in_fan_out = false); for an embedding adapter (C, V).</summary>
    public static Tensor DeltaWeight(LoraAdapter lora)
    {
        int outF = lora.B.Shape[0], r = lora.Rank, inF = lora.A.Shape[1];
        var delta = Tensor.Empty(DType.F32, outF, inF);
        // dx (m, k) = dy (m, n) · w (n, k) with m = out, n = r, k = in.
        Gemm.MatMul(lora.B.Value.Span, lora.A.Value.Span, delta.Span, outF, r, inF);
        Elementwise.Scale(delta.Span, lora.Scaling, delta.Span);
        return delta;
    }

    /// <summary>W + ΔW as a new F32 tensor (W widened from BF16/F16 or dequantized from NF4).</summary>
    public static Tensor MergedWeight(Linear layer) =>
        MergedWeight(layer, layer.Lora ?? throw new InvalidOperationException($"LoRA: layer '{layer.Name}' has no adapter"));

    /// <summary>W + ΔW of <paramref name="lora"/> on <paramref name="layer"/> as a new F32 tensor.</summary>
    public static Tensor MergedWeight(Linear layer, LoraAdapter lora)
    {
        var w = layer.QuantizedWeight is { } q ? q.DequantizeToTensor() : layer.Weight.Value.To(DType.F32);
        using var delta = DeltaWeight(lora);
        Elementwise.AddInPlace(delta.Span, w.Span);
        return w;
    }

    /// <summary>
    /// The effective weight W + scaling·B·A of a LoRA'd layer as a differentiable F32 variable, for consumers that read
    /// the weight directly instead of calling <see cref="Linear.Forward"/> — the fused LM-head cross-entropy of a
    /// LoRA'd lm_head. Gradients flow into A and B (and into W when trainable). Without an adapter (or merged) it is
    /// the weight itself. Dropout is not applied on this path (it acts on the input, which the fused op owns): use
    /// lora_dropout 0 for an lm_head target.
    /// </summary>
    public static Variable EffectiveWeight(Tape tape, Linear layer, string? adapterName = AdapterSelection.DefaultName)
    {
        if (layer.QuantizedWeight != null) throw new NotSupportedException($"LoRA: effective weight of NF4 layer '{layer.Name}' is not supported");
        if (adapterName is null || layer.GetAdapter(adapterName) is not { Merged: false } lora) return layer.Weight;
        var ba = tape.MatMul(lora.B, lora.A, layer.Name + ".lora_BA");
        var delta = tape.Scale(ba, lora.Scaling, layer.Name + ".lora_delta");
        var w = layer.Weight;
        if (w.DType != DType.F32)
            throw new NotSupportedException($"LoRA: effective weight of '{layer.Name}' needs an F32 base weight, got {w.DType} (load the head in F32)");
        return tape.Add(w, delta, layer.Name + ".effective_weight");
    }

    /// <summary>
    /// QLoRA: replaces the frozen weight of every adapted layer (or all given layers) by an NF4 copy (bitsandbytes
    /// semantics, block 64, optional double quantization); the dense weight is dropped. Returns resident NF4 bytes.
    /// </summary>
    public static long QuantizeBaseWeights(IEnumerable<Linear> layers, bool doubleQuant = false)
    {
        long bytes = 0;
        foreach (var l in layers)
        {
            if (l.QuantizedWeight != null) { bytes += l.QuantizedWeight.ResidentBytes; continue; }
            if (l.Weight.RequiresGrad) throw new InvalidOperationException($"QLoRA: layer '{l.Name}' has a trainable weight; only frozen weights can be quantized");
            var q = Nf4Matrix.Quantize(l.Weight.Value, doubleQuant);
            l.QuantizedWeight = q;
            l.Weight = Variable.Parameter(Tensor.Zeros(DType.F32, 0, 0), trainable: false, l.Name + ".weight (NF4)");
            bytes += q.ResidentBytes;
        }
        return bytes;
    }

    /// <summary>Full fine-tuning of one layer: weight (and bias) become trainable F32 copies.</summary>
    public static void MakeFullyTrainable(Linear layer)
    {
        if (layer.QuantizedWeight != null) throw new InvalidOperationException($"'{layer.Name}' is NF4-quantized and cannot be trained in full");
        if (!layer.Weight.RequiresGrad)
            layer.Weight = Variable.Parameter(layer.Weight.Value.To(DType.F32), trainable: true, layer.Name + ".weight");
        if (layer.Bias is { RequiresGrad: false } b)
            layer.Bias = Variable.Parameter(b.Value.To(DType.F32), trainable: true, layer.Name + ".bias");
    }

    private static string Available(List<(string Name, Linear Layer)> all)
    {
        var suffixes = all.Select(l => l.Name[(l.Name.LastIndexOf('.') + 1)..]).Distinct().ToList();
        return suffixes.Count == 0 ? "(no linear layers)" : string.Join(", ", suffixes);
    }

    /// <summary>FNV-1a of the name mixed with the seed: a stable per-module stream (string.GetHashCode is randomized).</summary>
    private static int StreamSeed(int seed, string name)
    {
        uint h = 2166136261;
        foreach (char c in name) h = (h ^ c) * 16777619;
        h ^= (uint)seed * 0x9E3779B9u;
        return (int)(h & 0x7FFFFFFF);
    }
}
