// The GGUF file types `tunesharp export --to gguf --quant` writes, with llama.cpp's llama_ftype ids (llama.h) and the
// base ggml type llama-quantize starts from before its per-tensor mix (llama-quant.cpp llama_model_quantize_impl).
using TuneSharp.Tensors.IO.Gguf;

namespace TuneSharp.Export.Gguf;

public enum GgufFileType
{
    F32,
    F16,
    BF16,
    Q8_0,
    Q4_0,
    Q4_K_M,
    Q5_K_M,
    Q6_K,
}

public static class GgufFileTypes
{
    /// <summary>Every type with its CLI spelling (lower case, as llama-quantize's names).</summary>
    public static readonly IReadOnlyList<(string Name, GgufFileType Type)> All =
    [
        ("f32", GgufFileType.F32), ("f16", GgufFileType.F16), ("bf16", GgufFileType.BF16), ("q8_0", GgufFileType.Q8_0),
        ("q4_0", GgufFileType.Q4_0), ("q4_k_m", GgufFileType.Q4_K_M), ("q5_k_m", GgufFileType.Q5_K_M), ("q6_k", GgufFileType.Q6_K),
    ];

    public static string Name(this GgufFileType t) => All.First(x => x.Type == t).Name;

    /// <summary>Parses "q4_k_m" etc. (case-insensitive); throws an <see cref="ExportException"/> listing the choices.</summary>
    public static GgufFileType Parse(string s)
    {
        foreach (var (name, type) in All)
            if (string.Equals(name, s.Trim(), StringComparison.OrdinalIgnoreCase)) return type;
        throw new ExportException($"GGUF type '{s}' is not supported; choose one of {string.Join(", ", All.Select(x => x.Name))}", ExitCode.Usage);
    }

    /// <summary>general.file_type (llama_ftype: ALL_F32 0, MOSTLY_F16 1, Q4_0 2, Q8_0 7, Q4_K_M 15, Q5_K_M 17, Q6_K 18, BF16 32).</summary>
    public static uint LlamaFtype(this GgufFileType t) => t switch
    {
        GgufFileType.F32 => 0,
        GgufFileType.F16 => 1,
        GgufFileType.Q4_0 => 2,
        GgufFileType.Q8_0 => 7,
        GgufFileType.Q4_K_M => 15,
        GgufFileType.Q5_K_M => 17,
        GgufFileType.Q6_K => 18,
        GgufFileType.BF16 => 32,
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };

    /// <summary>The type of every 2-D weight before the mix (llama-quantize's default_type).</summary>
    public static GgmlType DefaultType(this GgufFileType t) => t switch
    {
        GgufFileType.F32 => GgmlType.F32,
        GgufFileType.F16 => GgmlType.F16,
        GgufFileType.BF16 => GgmlType.BF16,
        GgufFileType.Q8_0 => GgmlType.Q8_0,
        GgufFileType.Q4_0 => GgmlType.Q4_0,
        GgufFileType.Q4_K_M => GgmlType.Q4_K,
        GgufFileType.Q5_K_M => GgmlType.Q5_K,
        GgufFileType.Q6_K => GgmlType.Q6_K,
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };

    public static bool IsQuantized(this GgufFileType t) => t is not (GgufFileType.F32 or GgufFileType.F16 or GgufFileType.BF16);
}
