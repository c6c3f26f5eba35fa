// `tokenizer:` section of a run config.
namespace TuneSharp.Training.Config;

public sealed class TokenizerSection
{
    /// <summary>Tokenizer folder when it differs from the model folder.</summary>
    public string? Path { get; set; }

    /// <summary>right (training default) or left (batched generation).</summary>
    public string PaddingSide { get; set; } = "right";

    /// <summary>Pad token to use when the model has none (e.g. a Llama-3 reserved token); default: EOS.</summary>
    public string? PadToken { get; set; }

    /// <summary>Override the chat template (a Jinja string or a path to a .jinja file).</summary>
    public string? ChatTemplate { get; set; }
}
