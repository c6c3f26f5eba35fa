// Optimizer construction by TrainingArguments `optim` name (transformers OptimizerNames).
using TuneSharp.Autograd;

namespace TuneSharp.Nn.Optim;

public static class OptimizerFactory
{
    private static readonly string[] AdamWNames = ["adamw_torch", "adamw_torch_fused", "adamw", "adamw_hf"];
    private static readonly string[] AdamW8bitNames = ["adamw_8bit", "adamw_bnb_8bit", "paged_adamw_8bit"];

    /// <summary>Every accepted name.</summary>
    public static IReadOnlyList<string> SupportedNames { get; } = [.. AdamWNames, .. AdamW8bitNames];

    /// <summary>adamw_torch/adamw_torch_fused/adamw/adamw_hf → <see cref="AdamWOptimizer"/>; adamw_8bit/adamw_bnb_8bit/paged_adamw_8bit → <see cref="AdamW8bitOptimizer"/>.</summary>
    public static Optimizer Create(string name, IEnumerable<(string Name, Variable Parameter)> parameters, OptimizerOptions options)
    {
        Validate(name);
        return AdamWNames.Contains(name) ? new AdamWOptimizer(parameters, options) : new AdamW8bitOptimizer(parameters, options);
    }

    /// <summary>Throws for an unknown name, listing the supported ones (call before training starts).</summary>
    public static void Validate(string name)
    {
        if (name == null || !SupportedNames.Contains(name))
            throw new ConfigException($"unknown optimizer '{name}' (optim); supported: {string.Join(", ", SupportedNames)}");
    }
}
