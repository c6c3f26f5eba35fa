// `lora:` section of a run config (PEFT LoraConfig names).
using System.ComponentModel;

namespace TuneSharp.Training.Config;

public sealed class LoraSection
{
    [Description("false trains every weight (full fine-tuning) instead of a LoRA adapter.")]
    public bool Enabled { get; set; } = true;

    [Description("LoRA rank r.")]
    public int R { get; set; } = 8;

    [Description("LoRA alpha; the update is scaled by lora_alpha / r (or / sqrt(r) with use_rslora).")]
    public double LoraAlpha { get; set; } = 16;

    [Description("Dropout on the LoRA input during training.")]
    public double LoraDropout { get; set; }

    [Description("Module name suffixes to adapt (q_proj … down_proj, lm_head, embed_tokens) or all-linear.")]
    public List<string> TargetModules { get; set; } = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    [Description("rsLoRA scaling lora_alpha / sqrt(r).")]
    public bool UseRslora { get; set; }

    [Description("Only none is supported (PEFT's default: biases stay frozen).")]
    public string Bias { get; set; } = "none";

    [Description("Linear modules trained in full and stored in the adapter (e.g. lm_head).")]
    public List<string> ModulesToSave { get; set; } = [];

    [Description("Start from this PEFT adapter folder instead of a random A / zero B.")]
    public string? InitAdapter { get; set; }
}
