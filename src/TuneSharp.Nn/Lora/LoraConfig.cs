// LoRA hyperparameters with PEFT LoraConfig names and matching rules (peft/tuners/lora/config.py, tuners_utils.check_target_module_exists).
using System.Text.RegularExpressions;

namespace TuneSharp.Nn.Lora;

/// <summary>
/// PEFT's <c>LoraConfig</c> subset TuneSharp supports: <c>r</c>, <c>lora_alpha</c>, <c>lora_dropout</c>,
/// <c>target_modules</c>, <c>use_rslora</c>, <c>bias</c> ("none" only), <c>modules_to_save</c>.
/// Target matching follows PEFT: a list entry matches a module whose full name equals it or ends with "." + it;
/// a single string (<see cref="TargetModulesRegex"/>) must match the whole module name (re.fullmatch);
/// "all-linear" targets every linear except the output head.
/// </summary>
public sealed class LoraConfig
{
    /// <summary>Rank r of the update (PEFT <c>r</c>, default 8).</summary>
    public int R { get; init; } = 8;

    /// <summary>PEFT <c>lora_alpha</c> (default 8): scaling = alpha / r (or alpha / √r with rsLoRA).</summary>
    public double LoraAlpha { get; init; } = 8;

    /// <summary>PEFT <c>lora_dropout</c>: dropout on the LoRA input only (default 0).</summary>
    public float LoraDropout { get; init; }

    /// <summary>Module-name suffixes like q_proj … down_proj, lm_head. Ignored when <see cref="TargetModulesRegex"/> is set.</summary>
    public IReadOnlyList<string> TargetModules { get; init; } = [];

    /// <summary>PEFT's string form of target_modules: a regex the full module name must match entirely.</summary>
    public string? TargetModulesRegex { get; init; }

    /// <summary>PEFT <c>use_rslora</c>: scaling = alpha / √r (Kalajdzievski 2023).</summary>
    public bool UseRslora { get; init; }

    /// <summary>PEFT <c>bias</c>: only "none" (biases stay frozen) is supported.</summary>
    public string Bias { get; init; } = "none";

    /// <summary>PEFT <c>modules_to_save</c>: modules trained in full and stored in the adapter (matched like targets).</summary>
    public IReadOnlyList<string> ModulesToSave { get; init; } = [];

    /// <summary>PEFT <c>base_model_name_or_path</c> written to adapter_config.json.</summary>
    public string? BaseModelNameOrPath { get; init; }

    /// <summary>Largest rank accepted (checked before any adapter matrix is allocated; r = 100000 used to allocate gigabytes first).</summary>
    public const int MaxR = 4096;

    /// <summary>Throws <see cref="ConfigException"/> naming the PEFT field for invalid values.</summary>
    public void Validate()
    {
        if (R <= 0 || R > MaxR) throw new ConfigException($"LoRA: r (rank) must be a positive integer in the allowed range 1..{MaxR}, got {R} (typical values are 8–64)");
        if (!(LoraAlpha > 0) || double.IsInfinity(LoraAlpha)) throw new ConfigException($"LoRA: lora_alpha must be a positive number, got {LoraAlpha}");
        if (!(LoraDropout >= 0 && LoraDropout < 1)) throw new ConfigException($"LoRA: lora_dropout must be in [0, 1), got {LoraDropout}");
        if (Bias != "none")
            throw new ConfigException($"LoRA: bias '{Bias}' is not supported (only \"none\"; PEFT's \"all\"/\"lora_only\" train biases too)");
        if (TargetModulesRegex == null && TargetModules.Count == 0)
            throw new ConfigException("LoRA: target_modules is empty; name the modules to adapt, e.g. q_proj,k_proj,v_proj,o_proj");
        if (TargetModulesRegex != null)
        {
            try { _ = new Regex(TargetModulesRegex); }
            catch (ArgumentException e) { throw new ConfigException($"LoRA: target_modules regex '{TargetModulesRegex}' is invalid: {e.Message}", e); }
        }
    }

    /// <summary>PEFT check_target_module_exists for one module name.</summary>
    public bool IsTarget(string moduleName)
    {
        if (TargetModulesRegex != null) return Regex.IsMatch(moduleName, "^(?:" + TargetModulesRegex + ")$");
        foreach (var t in TargetModules)
        {
            if (t == "all-linear") { if (!IsOutputHead(moduleName)) return true; continue; }
            if (MatchesSuffix(moduleName, t)) return true;
        }
        return false;
    }

    /// <summary>Whether <paramref name="moduleName"/> is listed in <see cref="ModulesToSave"/> (same suffix rule).</summary>
    public bool IsModuleToSave(string moduleName) => ModulesToSave.Any(t => MatchesSuffix(moduleName, t));

    /// <summary>PEFT's list rule: equal, or ends with "." + key.</summary>
    public static bool MatchesSuffix(string moduleName, string key) =>
        moduleName == key || moduleName.EndsWith("." + key, StringComparison.Ordinal);

    private static bool IsOutputHead(string name) => name == "lm_head" || name.EndsWith(".lm_head", StringComparison.Ordinal);

    /// <summary>The target scaling alpha / r (or alpha / √r).</summary>
    public float Scaling => (float)(UseRslora ? LoraAlpha / Math.Sqrt(R) : LoraAlpha / R);
}
