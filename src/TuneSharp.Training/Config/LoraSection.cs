// `lora:` section of a run config (PEFT LoraConfig names).
namespace TuneSharp.Training.Config;

public sealed class LoraSection
{
    /// <summary>false trains every weight (full fine-tuning).</summary>
    public bool Enabled { get; set; } = true;

    public int R { get; set; } = 8;

    public double LoraAlpha { get; set; } = 16;

    public double LoraDropout { get; set; }

    public List<string> TargetModules { get; set; } = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    public bool UseRslora { get; set; }

    /// <summary>Only "none" is supported (PEFT's default).</summary>
    public string Bias { get; set; } = "none";

    /// <summary>Modules trained in full and stored in the adapter (e.g. lm_head, embed_tokens).</summary>
    public List<string> ModulesToSave { get; set; } = [];

    /// <summary>Start from this PEFT adapter folder instead of a random A / zero B.</summary>
    public string? InitAdapter { get; set; }
}
