// Writes a PEFT LoRA adapter as a llama.cpp GGUF LoRA adapter (convert_lora_to_gguf.py layout, read by llama-adapter.cpp):
// general.type = adapter, adapter.type = lora, adapter.lora.alpha; tensors "<base gguf name>.lora_a" (ne [in, r]) and
// ".lora_b" (ne [r, out]); llama/mistral q/k B rows permuted like the base; embed_tokens as a = Aᵀ (ne [r, V]), b = B.
using TuneSharp.Models;
using TuneSharp.Models.Loading;
using TuneSharp.Nn;
using TuneSharp.Nn.Lora;
using TuneSharp.Nn.Peft;
using TuneSharp.Tensors.IO.Gguf;
using TuneSharp.Tensors.Kernels.Quant;

namespace TuneSharp.Export.Gguf;

public static class GgufAdapterWriter
{
    /// <summary>Writes the adapter in <paramref name="adapterFolder"/> for the base in <paramref name="baseFolder"/> to <paramref name="path"/>.</summary>
    public static int Write(string baseFolder, string adapterFolder, string path)
    {
        if (File.Exists(path)) throw new ExportException($"{path}: the output exists; choose a new path (export never overwrites)", ExitCode.Output);
        using var merged = Merge.ModelMerger.LoadUnmerged(baseFolder, adapterFolder, out var lora);
        var model = merged.Model;
        var c = model.Config;
        var cfg = lora.Config;
        if (cfg.ModulesToSave.Count > 0)
            throw new ExportException($"{adapterFolder}: modules_to_save ({string.Join(", ", cfg.ModulesToSave)}) are full weights, which a llama.cpp LoRA adapter cannot carry; export a merged GGUF instead (--to gguf)");
        string arch = GgufNames.GgufArchitecture(c.Architecture);
        var w = new GgufWriter();
        w.AddString("general.architecture", arch);
        w.AddString("general.type", "adapter");
        w.AddString("general.name", Path.GetFileName(Path.GetFullPath(adapterFolder).TrimEnd('/')));
        w.AddString("adapter.type", "lora");
        // llama.cpp scales by alpha / r; rsLoRA's alpha / √r becomes alpha·√r / r.
        w.AddFloat32("adapter.lora.alpha", (float)(cfg.UseRslora ? cfg.LoraAlpha * Math.Sqrt(cfg.R) : cfg.LoraAlpha));
        int count = 0;
        foreach (var layer in lora.AdaptedLayers)
        {
            var a = layer.Lora!.A.Value.ToFloatArray();
            var b = layer.Lora.B.Value.ToFloatArray();
            int r = layer.Lora.Rank, inF = layer.InFeatures, outF = layer.OutFeatures;
            string name = layer.Name == "lm_head" ? "output.weight" : GgufNames.FromHf(layer.Name + ".weight", c.Architecture)
                ?? throw new ExportException($"{adapterFolder}: adapted module {layer.Name} has no llama.cpp tensor");
            if (name == "output.weight" && c.TieWordEmbeddings)
                throw new ExportException($"{adapterFolder}: the adapter adapts lm_head of a model with tied embeddings; llama.cpp has no separate output tensor to apply it to. Export a merged GGUF instead (--to gguf)");
            if (GgufNames.PermutesQk(c.Architecture) && GgufNames.IsPermutedQk(name, out bool isKey))
            {
                var p = new float[b.Length];
                GgufQkPermutation.Permute<float>(b, p, isKey ? c.NumKeyValueHeads : c.NumAttentionHeads, r);
                b = p;
            }
            Add(w, name + ".lora_a", [inF, r], a);
            Add(w, name + ".lora_b", [r, outF], b);
            count++;
        }
        foreach (var emb in lora.AdaptedEmbeddings)
        {
            var a = emb.Lora!.A.Value.ToFloatArray(); // (r, V)
            var b = emb.Lora.B.Value.ToFloatArray(); // (C, r)
            int r = emb.Lora.Rank, vocab = emb.VocabSize, dim = emb.EmbeddingDim;
            var at = new float[a.Length];
            for (int i = 0; i < r; i++)
                for (int v = 0; v < vocab; v++) at[v * r + i] = a[i * vocab + v];
            Add(w, "token_embd.weight.lora_a", [r, vocab], at);
            Add(w, "token_embd.weight.lora_b", [r, dim], b);
            count++;
        }
        try { w.Write(path); }
        catch (IOException e) { throw new ExportException($"{path}: cannot write the adapter: {e.Message}", ExitCode.Output, e); }
        return count;
    }

    private static void Add(GgufWriter w, string name, long[] dims, float[] values)
    {
        w.AddTensor(name, dims, GgmlType.F32, values.Length * 4L, () =>
        {
            var bytes = new byte[values.Length * 4L];
            GgmlQuant.Quantize(GgmlType.F32, values, bytes);
            return bytes;
        });
    }
}
