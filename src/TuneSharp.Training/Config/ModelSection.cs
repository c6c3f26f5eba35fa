// `model:` section of a run config.
using System.ComponentModel;

namespace TuneSharp.Training.Config;

public sealed class ModelSection
{
    [Description("Hugging Face model folder (config.json + safetensors + tokenizer files) or a .gguf file; relative to the config file.")]
    public string? NameOrPath { get; set; }

    [Description("Same as training.max_seq_length (wins over it when set).")]
    public int? MaxSeqLength { get; set; }

    [Description("QLoRA: quantize the frozen linear weights to NF4 (bitsandbytes semantics); needs LoRA.")]
    public bool LoadIn4bit { get; set; }

    [Description("NF4 double quantization of the absmax values (bnb_4bit_use_double_quant).")]
    public bool Bnb4bitUseDoubleQuant { get; set; }

    [Description("Storage of the 2-D base weights: auto (as on disk, memory-mapped), float32, bfloat16 or float16 (converted once at load).")]
    public string Dtype { get; set; } = "auto";
}
