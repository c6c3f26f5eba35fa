// `tokenizer:` section of a run config.
using System.ComponentModel;
using TuneSharp.Tokenizers;

namespace TuneSharp.Training.Config;

public sealed class TokenizerSection
{
    [Description("Tokenizer folder when it differs from the model folder (it is also copied into checkpoints).")]
    public string? Path { get; set; }

    [Description("Side of a batch row that gets padding: right (TRL's training default) or left; positions count from each row's first real token, so the loss is the same.")]
    public PaddingSide PaddingSide { get; set; } = PaddingSide.Right;

    [Description("Token written into padding positions; must be in the vocabulary. Default: the model's pad_token_id, else EOS.")]
    public string? PadToken { get; set; }

    [Description("Chat template for format chat: a .jinja file (relative to the config file) or the template text; default: the tokenizer folder's.")]
    public string? ChatTemplate { get; set; }
}
