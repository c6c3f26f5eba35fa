// Reads preference rows (TRL's dataset layouts): pre-tokenized prompt_ids/chosen_ids/rejected_ids, plain
// prompt/chosen/rejected strings, or conversational message lists (chat template applied as TRL's
// maybe_apply_chat_template; implicit prompts extracted as maybe_extract_prompt), with bad rows reported by line.
using System.Text.Json;
using System.Text.Json.Nodes;
using TuneSharp.Data;
using TuneSharp.Data.Formatting;
using TuneSharp.Tokenizers;
using TuneSharp.Training.Sft;

namespace TuneSharp.Training.Preference;

public static class PreferenceData
{
    /// <summary>
    /// Loads a JSONL (line numbers in messages) or JSON/CSV file (row numbers). <paramref name="tokenized"/>: rows hold
    /// prompt_ids/chosen_ids/rejected_ids used exactly as given. Otherwise text rows are tokenized without special
    /// tokens (TRL tokenize_row with add_special_tokens=False): plain answers get the tokenizer's EOS appended;
    /// conversational rows render prompt (with the generation prompt) and prompt + answer through
    /// <paramref name="chatTemplate"/>, the answer being the rendered text after the prompt's.
    /// Rows with an empty answer or identical chosen and rejected answers are errors naming their line.
    /// </summary>
    public static List<PreferencePair> Load(string path, bool tokenized, Tokenizer? tokenizer = null, ChatTemplate? chatTemplate = null)
    {
        var rows = ReadRows(path);
        var pairs = new List<PreferencePair>(rows.Count);
        var bad = new List<string>();
        foreach (var (row, where) in rows)
        {
            try
            {
                var p = tokenized ? FromIds(row, where) : FromText(row, where, tokenizer ?? throw new TrainingSetupException("preference text data needs a tokenizer"), chatTemplate);
                if (p.ChosenIds.Length == 0 || p.RejectedIds.Length == 0)
                    bad.Add($"{where}: the {(p.ChosenIds.Length == 0 ? "chosen" : "rejected")} answer is empty");
                else if (p.ChosenIds.AsSpan().SequenceEqual(p.RejectedIds))
                    bad.Add($"{where}: chosen and rejected answers are identical (the pair carries no preference)");
                else pairs.Add(p);
            }
            catch (DataFormatException e) { bad.Add(e.Message); }
        }
        if (bad.Count > 0)
            throw new TrainingSetupException($"{path}: {bad.Count} unusable preference row(s); fix or remove them:\n  " + string.Join("\n  ", bad.Take(20))
                + (bad.Count > 20 ? $"\n  … and {bad.Count - 20} more" : ""));
        if (pairs.Count == 0) throw new TrainingSetupException($"{path}: no preference rows");
        return pairs;
    }

    private static List<(JsonObject Row, string Where)> ReadRows(string path)
    {
        if (!File.Exists(path)) throw new TrainingSetupException($"{path}: preference data file not found");
        var list = new List<(JsonObject, string)>();
        if (path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
        {
            int line = 0, row = 0;
            foreach (var text in File.ReadLines(path))
            {
                line++;
                if (string.IsNullOrWhiteSpace(text)) continue;
                string where = TuneSharp.Data.RowLocation.Of(path, ++row, line);
                JsonNode? node;
                try { node = JsonNode.Parse(text); }
                catch (JsonException e) { throw new TrainingSetupException($"{where}: not valid JSON ({e.Message})"); }
                if (node is not JsonObject o) throw new TrainingSetupException($"{where}: expected a JSON object with prompt, chosen and rejected");
                list.Add((o, where));
            }
            return list;
        }
        var ds = Data.Loading.DatasetFiles.Load(path);
        for (int i = 0; i < ds.Count; i++) list.Add((ds[i], TuneSharp.Data.RowLocation.Of(ds.FileOf(i) ?? path, ds.RowInFile(i))));
        return list;
    }

    private static int[] Ids(JsonObject row, string key, string where)
    {
        if (row[key] is not JsonArray a)
            throw new DataFormatException($"{where}: '{key}' must be a list of token ids (format tokenized needs prompt_ids, chosen_ids, rejected_ids)", field: key);
        var ids = new int[a.Count];
        for (int i = 0; i < a.Count; i++)
        {
            if (a[i] is not JsonValue v || !v.TryGetValue<int>(out ids[i]))
                throw new DataFormatException($"{where}: {key}[{i}] is not an integer token id", field: key);
        }
        return ids;
    }

    private static PreferencePair FromIds(JsonObject row, string where) =>
        new(Ids(row, "prompt_ids", where), Ids(row, "chosen_ids", where), Ids(row, "rejected_ids", where), where);

    private static PreferencePair FromText(JsonObject row, string where, Tokenizer tok, ChatTemplate? template)
    {
        JsonNode? prompt = row["prompt"], chosen = row["chosen"], rejected = row["rejected"];
        if (chosen is null || rejected is null)
            throw new DataFormatException($"{where}: preference rows need 'chosen' and 'rejected' (and 'prompt'); the row has: {string.Join(", ", row.Select(p => p.Key))}", field: "chosen");
        bool conversational = chosen is JsonArray || rejected is JsonArray || prompt is JsonArray;
        if (!conversational)
        {
            string p = Text(prompt, "prompt", where), c = Text(chosen, "chosen", where), r = Text(rejected, "rejected", where);
            int eos = tok.EosTokenId ?? throw new TrainingSetupException($"{where}: plain preference rows get EOS after each answer (TRL), but the tokenizer has no eos_token");
            int[] Answer(string s) => s.Length == 0 ? [] : [.. tok.Encode(s, addSpecialTokens: false), eos];
            return new PreferencePair(tok.Encode(p, addSpecialTokens: false), Answer(c), Answer(r), where);
        }
        if (template == null)
            throw new TrainingSetupException($"{where}: conversational preference rows need a chat template (the tokenizer folder has none; set tokenizer.chat_template)");
        var cm = Messages(chosen, "chosen", where, "assistant");
        var rm = Messages(rejected, "rejected", where, "assistant");
        List<object?> pm;
        if (prompt is null)
        {
            // maybe_extract_prompt: the prompt is the longest common prefix of the two conversations.
            int k = 0;
            while (k < Math.Min(cm.Count, rm.Count) - 1 && JsonSerializer.Serialize(cm[k]) == JsonSerializer.Serialize(rm[k])) k++;
            pm = cm.Take(k).ToList();
            cm = cm.Skip(k).ToList();
            rm = rm.Skip(k).ToList();
        }
        else pm = Messages(prompt, "prompt", where, "user");
        string promptText = template.Render(pm, addGenerationPrompt: true);
        string AnswerText(List<object?> answer, string name)
        {
            if (answer.Count == 0) return "";
            string full = template.Render(pm.Concat(answer).ToList());
            if (!full.StartsWith(promptText, StringComparison.Ordinal))
                throw new DataFormatException($"{where}: the chat template renders prompt + {name} without the prompt's text as a prefix; TRL's chat preference format cannot split it", field: name);
            return full[promptText.Length..];
        }
        string ct = AnswerText(cm, "chosen"), rt = AnswerText(rm, "rejected");
        return new PreferencePair(tok.Encode(promptText, addSpecialTokens: false),
            ct.Length == 0 ? [] : tok.Encode(ct, addSpecialTokens: false), rt.Length == 0 ? [] : tok.Encode(rt, addSpecialTokens: false), where);
    }

    private static string Text(JsonNode? node, string key, string where) => node switch
    {
        null => throw new DataFormatException($"{where}: '{key}' is missing", field: key),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => throw new DataFormatException($"{where}: '{key}' must be a string (or, for conversational data, a list of messages)", field: key),
    };

    /// <summary>A message list, or a plain string as one message of <paramref name="role"/>.</summary>
    private static List<object?> Messages(JsonNode? node, string key, string where, string role)
    {
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String)
            return v.GetValue<string>().Length == 0 ? [] : [new Dictionary<string, object?> { ["role"] = role, ["content"] = v.GetValue<string>() }];
        if (node is not JsonArray a) throw new DataFormatException($"{where}: '{key}' must be a list of messages or a string", field: key);
        if (a.Count == 0) return [];
        return ChatMessages.FromRow(new JsonObject { ["messages"] = a.DeepClone() }, $"{where} ({key})");
    }
}
