// `model:` section of a run config.
namespace TuneSharp.Training.Config;

public sealed class ModelSection
{
    /// <summary>A Hugging Face model folder (config.json + safetensors + tokenizer files) or a .gguf file.</summary>
    public string? NameOrPath { get; set; }

    /// <summary>Longest token sequence; copied to training.max_seq_length when that is not set.</summary>
    public int? MaxSeqLength { get; set; }

    /// <summary>QLoRA: quantize frozen linear weights to NF4 (bitsandbytes semantics).</summary>
    public bool LoadIn4bit { get; set; }

    /// <summary>NF4 double quantization of the absmax values (bnb_4bit_use_double_quant).</summary>
    public bool Bnb4bitUseDoubleQuant { get; set; }

    /// <summary>Weight storage: auto (as on disk), float32, bfloat16, float16.</summary>
    public string Dtype { get; set; } = "auto";
}
