// One entry of tokenizer.json `added_tokens` (HF AddedToken): content matched before the model runs.
namespace TuneSharp.Tokenizers;

public sealed record AddedToken(int Id, string Content, bool Special, bool Normalized = false, bool LStrip = false, bool RStrip = false, bool SingleWord = false);
