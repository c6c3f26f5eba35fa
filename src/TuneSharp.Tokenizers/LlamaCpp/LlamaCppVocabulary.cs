// A llama.cpp vocabulary (llama-vocab.cpp's inputs: the tokenizer.ggml.* values of a GGUF file) as plain data, so the
// tokenizer layer builds from it without knowing the GGUF container (read in TuneSharp.Tensors.IO.Gguf).
namespace TuneSharp.Tokenizers.LlamaCpp;

/// <param name="Model">tokenizer.ggml.model: "llama" (SentencePiece), "gpt2" (byte-level BPE) or "bert" (WordPiece).</param>
/// <param name="Tokens">Token strings by id.</param>
/// <param name="Scores">SentencePiece scores by id (null = all zero).</param>
/// <param name="TokenTypes">llama_token_type by id (1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte); null = all normal.</param>
/// <param name="Merges">BPE merges "a b" (gpt2 only).</param>
/// <param name="Pre">tokenizer.ggml.pre: the pre-tokenizer name (gpt2 only).</param>
/// <param name="Source">File the values came from, named in errors.</param>
public sealed record LlamaCppVocabulary(
    string Model,
    string[] Tokens,
    float[]? Scores = null,
    int[]? TokenTypes = null,
    string[]? Merges = null,
    string? Pre = null,
    long? BosId = null,
    long? EosId = null,
    long? UnkId = null,
    long? PadId = null,
    long? ClsId = null,
    long? SepId = null,
    bool? AddBos = null,
    bool? AddEos = null,
    bool? AddSpacePrefix = null,
    string? Source = null);
