// tokenizer.ggml.* metadata from an HF tokenizer folder, as llama.cpp's convert_hf_to_gguf.py writes it: byte-level BPE
// → model "gpt2" with merges and a `pre` name; SentencePiece-style BPE (byte_fallback, "▁") → model "llama" with scores
// and token types; special ids, add_bos/add_eos, padding tokens up to the model's vocab_size, and the chat template.
using System.Text.Json;
using TuneSharp.Tensors.IO.Gguf;
using TuneSharp.Tokenizers;

namespace TuneSharp.Export.Gguf;

public static class GgufVocabulary
{
    // llama_token_type (llama-vocab.h).
    private const int Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6;

    /// <summary>Adds every tokenizer.ggml.* key for the tokenizer in <paramref name="folder"/>, padded to <paramref name="vocabSize"/> tokens.</summary>
    public static void AddTo(GgufWriter w, string folder, int vocabSize, IReadOnlyList<int> endOfTurnIds)
    {
        var path = Path.Combine(folder, "tokenizer.json");
        if (!File.Exists(path)) throw new ExportException($"{folder}: no tokenizer.json; a GGUF needs the vocabulary (copy the base model's tokenizer files next to the weights)");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = doc.RootElement;
        var model = root.GetProperty("model");
        string type = model.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "BPE";
        if (type != "BPE") throw new ExportException($"{path}: tokenizer model '{type}' cannot be written to GGUF (BPE tokenizers can)");

        var tok = Tokenizer.FromPretrained(folder);
        int count = Math.Max(vocabSize, tok.VocabSize);
        var tokens = new string[count];
        var types = new int[count];
        foreach (var p in model.GetProperty("vocab").EnumerateObject())
        {
            int id = p.Value.GetInt32();
            if (id < count) { tokens[id] = p.Name; types[id] = Normal; }
        }
        var specials = new HashSet<int>();
        if (root.TryGetProperty("added_tokens", out var added))
            foreach (var a in added.EnumerateArray())
            {
                int id = a.GetProperty("id").GetInt32();
                if (id >= count) continue;
                tokens[id] = a.GetProperty("content").GetString()!;
                bool special = a.TryGetProperty("special", out var sp) && sp.GetBoolean();
                types[id] = special ? Control : UserDefined;
                if (special) specials.Add(id);
            }
        for (int i = 0; i < count; i++)
            if (tokens[i] is null) { tokens[i] = $"[PAD{i}]"; types[i] = Unused; }

        var merges = new List<string>();
        if (model.TryGetProperty("merges", out var m))
            foreach (var e in m.EnumerateArray())
                merges.Add(e.ValueKind == JsonValueKind.String ? e.GetString()! : $"{e[0].GetString()} {e[1].GetString()}");

        bool byteFallback = model.TryGetProperty("byte_fallback", out var bf) && bf.ValueKind == JsonValueKind.True;
        string json = root.GetRawText();
        bool sentencePiece = byteFallback || json.Contains("\"\\u2581\"", StringComparison.Ordinal) || json.Contains("\"▁\"", StringComparison.Ordinal);
        if (sentencePiece)
        {
            w.AddString("tokenizer.ggml.model", "llama");
            w.AddString("tokenizer.ggml.pre", "default");
            w.AddArray("tokenizer.ggml.tokens", tokens);
            // llama.cpp's SentencePiece tokenizer merges the adjacent pair whose merged text scores highest; the HF merge
            // rank r becomes score −r, so it merges in the same order as the BPE merges list.
            var scores = new float[count];
            Array.Fill(scores, -1e9f);
            var byText = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int i = 0; i < count; i++) byText.TryAdd(tokens[i], i);
            for (int r = 0; r < merges.Count; r++)
            {
                int sp = merges[r].IndexOf(' ', 1);
                if (sp < 0) continue;
                var merged = merges[r][..sp] + merges[r][(sp + 1)..];
                if (byText.TryGetValue(merged, out int id) && scores[id] == -1e9f) scores[id] = -r;
            }
            for (int i = 0; i < count; i++)
            {
                if (tokens[i].Length == 1 && types[i] == Normal) scores[i] = 0;
                if (types[i] == Normal && tokens[i].Length == 6 && tokens[i].StartsWith("<0x", StringComparison.Ordinal) && tokens[i].EndsWith('>')) types[i] = Byte;
            }
            if (tok.UnkTokenId is int unk && unk < count) types[unk] = Unknown;
            w.AddArray("tokenizer.ggml.scores", scores);
            w.AddArray("tokenizer.ggml.token_type", types);
            bool prefix = json.Contains("\"Prepend\"", StringComparison.Ordinal)
                || (root.TryGetProperty("pre_tokenizer", out var pt) && pt.ValueKind == JsonValueKind.Object && pt.GetRawText().Contains("Metaspace", StringComparison.Ordinal)
                    && !pt.GetRawText().Contains("\"never\"", StringComparison.Ordinal));
            w.AddBool("tokenizer.ggml.add_space_prefix", prefix);
        }
        else
        {
            w.AddString("tokenizer.ggml.model", "gpt2");
            w.AddString("tokenizer.ggml.pre", PreName(root, path));
            w.AddArray("tokenizer.ggml.tokens", tokens);
            w.AddArray("tokenizer.ggml.token_type", types);
            w.AddArray("tokenizer.ggml.merges", merges.ToArray());
        }
        void Id(string key, int? id) { if (id is int v && v >= 0 && v < count) w.AddUInt32(key, (uint)v); }
        Id("tokenizer.ggml.bos_token_id", tok.BosTokenId);
        Id("tokenizer.ggml.eos_token_id", tok.EosTokenId ?? (endOfTurnIds.Count > 0 ? endOfTurnIds[0] : null));
        Id("tokenizer.ggml.unknown_token_id", tok.UnkTokenId);
        Id("tokenizer.ggml.padding_token_id", tok.PadTokenId);
        // The end-of-turn token a chat template writes, when it differs from EOS (llama.cpp stops on it too).
        var eot = endOfTurnIds.FirstOrDefault(i => i != tok.EosTokenId && i < count, -1);
        if (eot >= 0) Id("tokenizer.ggml.eot_token_id", eot);
        var (addBos, addEos) = AddsSpecial(tok);
        w.AddBool("tokenizer.ggml.add_bos_token", addBos);
        w.AddBool("tokenizer.ggml.add_eos_token", addEos);
        if (ChatTemplateText(folder) is { } template) w.AddString("tokenizer.chat_template", template);
    }

    /// <summary>Whether encoding with special tokens prepends BOS / appends EOS (what llama.cpp's add_bos/add_eos mean).</summary>
    public static (bool Bos, bool Eos) AddsSpecial(Tokenizer tok)
    {
        var plain = tok.Encode("a", addSpecialTokens: false);
        var with = tok.Encode("a", addSpecialTokens: true);
        bool bos = tok.BosTokenId is int b && with.Length > plain.Length && with[0] == b;
        bool eos = tok.EosTokenId is int e && with.Length > plain.Length && with[^1] == e;
        return (bos, eos);
    }

    /// <summary>The raw chat template of an HF tokenizer folder (tokenizer_config.json chat_template, or chat_template.jinja), or null.</summary>
    public static string? ChatTemplateText(string folder)
    {
        var jinja = Path.Combine(folder, "chat_template.jinja");
        if (File.Exists(jinja)) return File.ReadAllText(jinja);
        var cfg = Path.Combine(folder, "tokenizer_config.json");
        if (!File.Exists(cfg)) return null;
        var c = TokenizerConfig.FromFile(cfg);
        return c.ChatTemplate ?? (c.ChatTemplates.TryGetValue("default", out var d) ? d : null);
    }

    // tokenizer.ggml.pre from the pre-tokenizer (llama.cpp names its regex sets; convert_hf_to_gguf.py hashes a test
    // encoding to find them, we recognise the regexes themselves).
    private static string PreName(JsonElement root, string path)
    {
        var pre = root.TryGetProperty("pre_tokenizer", out var p) && p.ValueKind == JsonValueKind.Object ? p.GetRawText() : "";
        if (pre.Contains(@"\\p{N}{1,3}", StringComparison.Ordinal)) return "llama-bpe";
        if (pre.Contains(@"|\\p{N}|", StringComparison.Ordinal)) return "qwen2";
        if (pre.Contains("\"Digits\"", StringComparison.Ordinal) && pre.Contains("ByteLevel", StringComparison.Ordinal)) return "smollm";
        if (pre.Contains("ByteLevel", StringComparison.Ordinal) && !pre.Contains("\"Split\"", StringComparison.Ordinal)) return "gpt-2";
        throw new ExportException($"{path}: the pre-tokenizer matches none of llama.cpp's (llama-bpe, qwen2, smollm, gpt-2); this tokenizer cannot be written to GGUF");
    }
}
