// Reads a GGUF file's tokenizer.ggml.* vocabulary (llama.cpp's keys, gguf.md "Tokenizer") into the tokenizer layer's
// LlamaCppVocabulary, and the embedded tokenizer.chat_template.
using TuneSharp.Tensors.IO.Gguf;
using TuneSharp.Tokenizers;
using TuneSharp.Tokenizers.LlamaCpp;

namespace TuneSharp.Models.Loading;

public static class GgufTokenizer
{
    /// <summary>The vocabulary of an opened GGUF file; throws <see cref="GgufFormatException"/> when it holds none.</summary>
    public static LlamaCppVocabulary Vocabulary(GgufFile f)
    {
        var model = f.GetString("tokenizer.ggml.model") ?? throw new GgufFormatException("no tokenizer.ggml.model: this GGUF holds no vocabulary", f.Path);
        var tokens = f.GetArray<string>("tokenizer.ggml.tokens") ?? throw new GgufFormatException("missing tokenizer.ggml.tokens", f.Path);
        return new LlamaCppVocabulary(model, tokens,
            f.GetArray<float>("tokenizer.ggml.scores"),
            f.GetArray<int>("tokenizer.ggml.token_type"),
            f.GetArray<string>("tokenizer.ggml.merges"),
            f.GetString("tokenizer.ggml.pre"),
            f.GetInt("tokenizer.ggml.bos_token_id"),
            f.GetInt("tokenizer.ggml.eos_token_id"),
            f.GetInt("tokenizer.ggml.unknown_token_id"),
            f.GetInt("tokenizer.ggml.padding_token_id"),
            f.GetInt("tokenizer.ggml.cls_token_id"),
            f.GetInt("tokenizer.ggml.seperator_token_id"),
            f.GetBool("tokenizer.ggml.add_bos_token"),
            f.GetBool("tokenizer.ggml.add_eos_token"),
            f.GetBool("tokenizer.ggml.add_space_prefix"),
            f.Path);
    }

    /// <summary>The tokenizer llama.cpp builds from this GGUF file.</summary>
    public static Tokenizer Load(GgufFile f) => Tokenizer.FromLlamaCppVocabulary(Vocabulary(f));

    /// <summary>The tokenizer of a GGUF file on disk.</summary>
    public static Tokenizer Load(string path) => Load(GgufFile.Open(path));

    /// <summary>tokenizer.chat_template, or null.</summary>
    public static string? ChatTemplate(GgufFile f) => f.GetString("tokenizer.chat_template");
}
