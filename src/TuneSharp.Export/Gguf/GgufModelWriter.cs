// Writes a CausalLM and its HF tokenizer folder as one GGUF file that llama.cpp loads, as convert_hf_to_gguf.py +
// llama-quantize would: llama.cpp tensor names and <arch>.* hyper-parameters, Q/K rows permuted for llama/mistral,
// Gemma norms stored as 1 + w, per-tensor types of llama-quantize's mix, tokenizer.ggml.* and the chat template.
using System.Globalization;
using TuneSharp.Models;
using TuneSharp.Models.Config;
using TuneSharp.Models.Loading;
using TuneSharp.Tensors.IO.Gguf;
using TuneSharp.Tensors.Kernels.Quant;

namespace TuneSharp.Export.Gguf;

public static class GgufModelWriter
{
    /// <summary>Per-tensor result of a write: GGUF name and ggml type.</summary>
    public sealed record WrittenTensor(string Name, GgmlType Type, long Bytes);

    /// <summary>
    /// Writes <paramref name="model"/> to <paramref name="path"/> (atomically) as <paramref name="fileType"/>.
    /// <paramref name="tokenizerFolder"/> holds tokenizer.json (+ tokenizer_config.json with the chat template).
    /// </summary>
    public static IReadOnlyList<WrittenTensor> Write(CausalLM model, string tokenizerFolder, GgufFileType fileType, string path, string? name = null)
        => Write(model.Config, model.NamedParameters().Select(p => (p.Name, p.Parameter.Value)).ToList(), tokenizerFolder, fileType, path, name);

    /// <summary>Writes named HF tensors of a model with config <paramref name="c"/> (lm_head.weight present = untied).</summary>
    public static IReadOnlyList<WrittenTensor> Write(ModelConfig c, IReadOnlyList<(string Name, Tensors.Tensor Tensor)> parameters, string tokenizerFolder,
        GgufFileType fileType, string path, string? name = null)
    {
        if (c.RopeScaling is not null)
            throw new ExportException($"{c.Source}: rope_scaling (llama3) is not supported by the GGUF writer yet; export --to hf instead");
        string arch = GgufNames.GgufArchitecture(c.Architecture);
        var w = new GgufWriter();
        w.AddString("general.architecture", arch);
        w.AddString("general.type", "model");
        w.AddString("general.name", name ?? Path.GetFileNameWithoutExtension(path));
        w.AddUInt32($"{arch}.context_length", (uint)c.MaxPositionEmbeddings);
        w.AddUInt32($"{arch}.embedding_length", (uint)c.HiddenSize);
        w.AddUInt32($"{arch}.block_count", (uint)c.NumHiddenLayers);
        w.AddUInt32($"{arch}.feed_forward_length", (uint)c.IntermediateSize);
        w.AddUInt32($"{arch}.attention.head_count", (uint)c.NumAttentionHeads);
        w.AddUInt32($"{arch}.attention.head_count_kv", (uint)c.NumKeyValueHeads);
        w.AddFloat32($"{arch}.rope.freq_base", (float)c.RopeTheta);
        w.AddFloat32($"{arch}.attention.layer_norm_rms_epsilon", (float)c.RmsNormEps);
        w.AddUInt32($"{arch}.attention.key_length", (uint)c.HeadDim);
        w.AddUInt32($"{arch}.attention.value_length", (uint)c.HeadDim);
        w.AddUInt32($"{arch}.rope.dimension_count", (uint)c.HeadDim);
        if (arch == "llama") w.AddUInt32("llama.vocab_size", (uint)c.VocabSize);
        if (c.Architecture == ModelArchitecture.Gemma2)
        {
            if (c.QueryPreAttnScalar is double q && Math.Abs(q - c.HeadDim) > 1e-9)
                throw new ExportException($"{c.Source}: query_pre_attn_scalar {q} differs from head_dim {c.HeadDim}; llama.cpp's gemma2 graph scales queries by 1/√head_dim, so the GGUF would compute a different model");
            if (c.AttnLogitSoftcapping is double a) w.AddFloat32("gemma2.attn_logit_softcapping", (float)a);
            if (c.FinalLogitSoftcapping is double f) w.AddFloat32("gemma2.final_logit_softcapping", (float)f);
            if (c.SlidingWindow is int sw) w.AddUInt32("gemma2.attention.sliding_window", (uint)sw);
        }
        w.AddUInt32("general.file_type", fileType.LlamaFtype());
        w.AddUInt32("general.quantization_version", 2);
        GgufVocabulary.AddTo(w, tokenizerFolder, c.VocabSize, c.EosTokenIds);

        bool hasOutput = parameters.Any(p => p.Name == WeightNames.LmHead);
        // llama-quantize walks tensors sorted by name (its weights map), so "blk.10" comes before "blk.2": the
        // use_more_bits counters follow that order, and so does our file.
        var entries = parameters
            .Select(p => (Hf: p.Name, Gguf: GgufNames.FromHf(p.Name, c.Architecture) ?? throw new ExportException($"{c.Source}: tensor {p.Name} has no llama.cpp name"), p.Tensor))
            .OrderBy(e => e.Gguf, StringComparer.Ordinal).ToList();
        var types = new GgufTensorTypes(fileType, c.NumHiddenLayers, hasOutput);
        var written = new List<WrittenTensor>();
        foreach (var (hf, gguf, parameter) in entries)
        {
            var shape = parameter.Shape;
            int rank = shape.Rank;
            long rowLength = rank == 2 ? shape[1] : shape[0];
            var type = types.TypeOf(gguf, rowLength, rank);
            long[] dims = rank == 2 ? [shape[1], shape[0]] : [shape[0]];
            long bytes = GgmlQuant.ByteCount(type, shape.ElementCount);
            var tensor = parameter;
            w.AddTensor(gguf, dims, type, bytes, () => Encode(tensor.ToFloatArray(), gguf, hf, type, c, rank == 2 ? (int)shape[1] : 1));
            written.Add(new WrittenTensor(gguf, type, bytes));
        }
        try { w.Write(path); }
        catch (IOException e) { throw new ExportException($"{path}: cannot write the GGUF file: {e.Message}", ExitCode.Output, e); }
        return written;
    }

    private static byte[] Encode(float[] values, string gguf, string hf, GgmlType type, ModelConfig c, int rowLength)
    {
        if (GgufNames.NormsStoredPlusOne(c.Architecture) && gguf.EndsWith("norm.weight", StringComparison.Ordinal))
            for (int i = 0; i < values.Length; i++) values[i] += 1f;
        if (GgufNames.PermutesQk(c.Architecture) && GgufNames.IsPermutedQk(gguf, out bool isKey))
        {
            var permuted = new float[values.Length];
            GgufQkPermutation.Permute<float>(values, permuted, isKey ? c.NumKeyValueHeads : c.NumAttentionHeads, rowLength);
            values = permuted;
        }
        var bytes = new byte[GgmlQuant.ByteCount(type, values.Length)];
        try { GgmlQuant.Quantize(type, values, bytes); }
        catch (ArgumentException e) { throw new ExportException($"{hf}: {e.Message}"); }
        return bytes;
    }

    /// <summary>The output path of one file type: <paramref name="output"/> itself when it names a .gguf file, else DIR/NAME-TYPE.gguf.</summary>
    public static string PathFor(string output, string baseName, GgufFileType type, bool single) =>
        single && output.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase)
            ? output
            : Path.Combine(output, string.Create(CultureInfo.InvariantCulture, $"{baseName}-{type.Name().ToUpperInvariant()}.gguf"));
}
