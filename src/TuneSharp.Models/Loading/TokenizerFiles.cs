// Tokenizer loading over every file form a model comes in: tokenizer.json, an HF folder, or a GGUF file's vocabulary
// (the tokenizer layer reads the first two; GGUF containers are read here, above TuneSharp.Tensors.IO.Gguf).
using TuneSharp.Tokenizers;

namespace TuneSharp.Models.Loading;

public static class TokenizerFiles
{
    /// <summary>A tokenizer.json, a .gguf file's vocabulary, or a folder (see <see cref="FromPretrained"/>).</summary>
    public static Tokenizer FromFile(string path)
    {
        if (Directory.Exists(path)) return FromPretrained(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"tokenizer file not found: {path}", path);
        return IsGguf(path) ? GgufTokenizer.Load(path) : Tokenizer.FromFile(path);
    }

    /// <summary>A folder with tokenizer.json (+ tokenizer_config.json), or else the first .gguf file in it.</summary>
    public static Tokenizer FromPretrained(string folder)
    {
        if (!File.Exists(Path.Combine(folder, "tokenizer.json")) && Directory.Exists(folder)
            && Directory.GetFiles(folder, "*.gguf").OrderBy(x => x, StringComparer.Ordinal).FirstOrDefault() is { } gguf)
            return GgufTokenizer.Load(gguf);
        return Tokenizer.FromPretrained(folder);
    }

    /// <summary>True for a file that starts with the GGUF magic.</summary>
    public static bool IsGguf(string path)
    {
        Span<byte> magic = stackalloc byte[4];
        using var fs = File.OpenRead(path);
        return fs.Read(magic) == 4 && magic.SequenceEqual("GGUF"u8);
    }
}
