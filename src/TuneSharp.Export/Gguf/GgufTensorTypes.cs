// Per-tensor ggml types for a GGUF file type, as llama-quantize chooses them without an importance matrix
// (llama-quant.cpp: tensor_allows_quantization, llama_tensor_get_type_impl, tensor_type_fallback) for dense models.
using TuneSharp.Tensors.IO.Gguf;
using TuneSharp.Tensors.Kernels.Quant;

namespace TuneSharp.Export.Gguf;

/// <summary>
/// Call <see cref="TypeOf"/> once per tensor in file order: like llama-quantize it counts attn_v and ffn_down tensors
/// to pick the layers that get more bits (use_more_bits: the first and last eighth and every third layer between).
/// </summary>
public sealed class GgufTensorTypes(GgufFileType fileType, int layerCount, bool hasOutput)
{
    private int _attnV, _ffnDown;

    private static bool UseMoreBits(int i, int n) => i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;

    /// <summary>The type of tensor <paramref name="name"/> with <paramref name="rowLength"/> values per row (ne[0]) and rank <paramref name="rank"/>.</summary>
    public GgmlType TypeOf(string name, long rowLength, int rank)
    {
        // 1-D tensors (norms, biases) stay F32, as convert_hf_to_gguf.py writes them and llama-quantize keeps them.
        if (rank < 2 || name.Contains("_norm.weight", StringComparison.Ordinal) || !name.EndsWith("weight", StringComparison.Ordinal)) return GgmlType.F32;
        var type = fileType.DefaultType();
        if (!fileType.IsQuantized()) return type;
        bool isOutput = name == "output.weight" || (!hasOutput && name == "token_embd.weight");
        if (isOutput)
        {
            if (rowLength % GgmlQuant.BlockSize(type) != 0) type = GgmlType.Q8_0;
            else if (type != GgmlType.Q8_0) type = GgmlType.Q6_K;
        }
        else if (name.Contains("attn_v.weight", StringComparison.Ordinal))
        {
            if (fileType is GgufFileType.Q4_K_M or GgufFileType.Q5_K_M && UseMoreBits(_attnV, layerCount)) type = GgmlType.Q6_K;
            _attnV++;
        }
        else if (name.Contains("ffn_down", StringComparison.Ordinal))
        {
            if (fileType is GgufFileType.Q4_K_M or GgufFileType.Q5_K_M && UseMoreBits(_ffnDown, layerCount)) type = GgmlType.Q6_K;
            _ffnDown++;
        }
        if (rowLength % GgmlQuant.BlockSize(type) != 0)
        {
            type = type switch
            {
                GgmlType.Q4_K => GgmlType.Q5_0,
                GgmlType.Q5_K => GgmlType.Q5_1,
                GgmlType.Q6_K => GgmlType.Q8_0,
                _ => type,
            };
            if (rowLength % GgmlQuant.BlockSize(type) != 0) type = GgmlType.F16;
        }
        return type;
    }
}
