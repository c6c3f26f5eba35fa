// The supported decoder architectures, one row each (transformers' configuration_*.py defaults, modeling_*.py structure).
namespace TuneSharp.Models.Config;

/// <summary>
/// model_type → <see cref="ArchitectureDefaults"/>. To add an architecture of the same pre-norm decoder family, add
/// a <see cref="ModelArchitecture"/> value and a row here; the shared decoder builder reads the row's flags (see the
/// README's "Adding an architecture").
/// </summary>
public static class ArchitectureTable
{
    public static IReadOnlyList<ArchitectureDefaults> All { get; } =
    [
        new() { Architecture = ModelArchitecture.Llama, ModelType = "llama", HfClass = "LlamaForCausalLM",
            BosTokenId = 1, EosTokenId = 2, MaxPositionEmbeddings = 2048, MlpBias = true, LayerTypes = false },
        new() { Architecture = ModelArchitecture.Mistral, ModelType = "mistral", HfClass = "MistralForCausalLM",
            BosTokenId = 1, EosTokenId = 2, MaxPositionEmbeddings = 4096 * 32, AttentionBiasOnQkv = false,
            AttentionBiasOnOutput = false, SlidingWindow = SlidingWindowRule.AllLayers },
        new() { Architecture = ModelArchitecture.Qwen2, ModelType = "qwen2", HfClass = "Qwen2ForCausalLM",
            MaxPositionEmbeddings = 32768, QkvBiasAlways = true, AttentionBiasOnOutput = false,
            SlidingWindow = SlidingWindowRule.FromMaxWindowLayers },
        new() { Architecture = ModelArchitecture.Qwen3, ModelType = "qwen3", HfClass = "Qwen3ForCausalLM", HeadDim = 128,
            MaxPositionEmbeddings = 32768, QkNorm = true, SlidingWindow = SlidingWindowRule.FromMaxWindowLayers },
        new() { Architecture = ModelArchitecture.Gemma, ModelType = "gemma", HfClass = "GemmaForCausalLM", HeadDim = 256,
            ActivationField = "hidden_activation", Activation = "gelu_pytorch_tanh", BosTokenId = 2, EosTokenId = 1,
            PadTokenId = 0, MaxPositionEmbeddings = 8192, TieWordEmbeddings = true, NormAddsOne = true, LayerTypes = false },
        new() { Architecture = ModelArchitecture.Gemma2, ModelType = "gemma2", HfClass = "Gemma2ForCausalLM", HeadDim = 256,
            ActivationField = "hidden_activation", Activation = "gelu_pytorch_tanh", BosTokenId = 2, EosTokenId = 1,
            PadTokenId = 0, MaxPositionEmbeddings = 8192, TieWordEmbeddings = true, NormAddsOne = true, PostNorms = true,
            SlidingWindow = SlidingWindowRule.EvenLayers, QueryPreAttnScalar = 256, AttnLogitSoftcapping = 50.0,
            FinalLogitSoftcapping = 30.0 },
    ];

    /// <summary>The row for a config.json "model_type", or null.</summary>
    public static ArchitectureDefaults? ByModelType(string modelType) => All.FirstOrDefault(a => a.ModelType == modelType);

    /// <summary>The row for an "architectures" class name, or null.</summary>
    public static ArchitectureDefaults? ByHfClass(string hfClass) => All.FirstOrDefault(a => a.HfClass == hfClass);

    /// <summary>The row of an architecture.</summary>
    public static ArchitectureDefaults Of(ModelArchitecture architecture) => All.First(a => a.Architecture == architecture);
}
