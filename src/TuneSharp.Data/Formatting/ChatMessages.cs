// Normalizes a row's conversation (OpenAI `messages` or ShareGPT `conversations`) into role/content dictionaries.
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace TuneSharp.Data.Formatting;

public static class ChatMessages
{
    /// <summary>Alpaca (instruction [+ input] → output) or prompt/completion rows as a one-turn conversation, so the chat format takes converter output as is.</summary>
    private static List<object?>? Flat(JsonObject row)
    {
        static string? S(JsonObject r, string k) => r[k] is JsonValue v ? v.ToString() : null;
        string? user = S(row, "instruction") ?? S(row, "prompt") ?? S(row, "question");
        string? answer = S(row, "output") ?? S(row, "completion") ?? S(row, "answer");
        if (user is null || answer is null) return null;
        if (S(row, "input") is { Length: > 0 } input) user += "\n\n" + input;
        var list = new List<object?>();
        if (S(row, "system") is { Length: > 0 } sys) list.Add(new Dictionary<string, object?> { ["role"] = "system", ["content"] = sys });
        list.Add(new Dictionary<string, object?> { ["role"] = "user", ["content"] = user });
        list.Add(new Dictionary<string, object?> { ["role"] = "assistant", ["content"] = answer });
        return list;
    }

    /// <summary>
    /// Reads <c>messages</c> (role/content) or <c>conversations</c> (ShareGPT from/value: human→user, gpt→assistant).
    /// Content may be a string or a list of parts {type: "text", text|value}; parts are joined into one string because most
    /// chat templates expect strings. Other keys of a message (loss_weight …) are dropped. Rows
    /// without a conversation but with instruction/output (Alpaca) or prompt/completion become one user→assistant turn.
    /// </summary>
    public static List<object?> FromRow(JsonObject row, string where)
    {
        JsonNode? node = row["messages"] ?? row["conversations"] ?? row["conversation"];
        if (node is null && Flat(row) is { } flat) return flat;
        if (node is not JsonArray array)
        {
            var cols = string.Join(", ", row.Select(p => p.Key));
            throw new DataFormatException(
                $"{where}: the chat format needs a 'messages' list of {{role, content}} objects (or ShareGPT 'conversations'), but the row has: {cols}. " +
                "Use format alpaca/completion/custom for flat columns, or map your column with dataset.columns: {messages: your_column}.",
                field: "messages");
        }
        if (array.Count == 0) throw new DataFormatException($"{where}: 'messages' is empty; drop such rows or fill them", field: "messages");
        var list = new List<object?>(array.Count);
        for (int i = 0; i < array.Count; i++)
        {
            if (array[i] is not JsonObject m)
                throw new DataFormatException($"{where}: messages[{i}] is not an object; each message needs role and content", field: "messages");
            string role = (m["role"] ?? m["from"]) is JsonValue r && r.GetValueKind() == JsonValueKind.String ? r.GetValue<string>() :
                throw new DataFormatException($"{where}: messages[{i}] has no 'role' string (system/user/assistant)", field: "messages");
            role = role switch { "human" => "user", "gpt" or "model" or "bot" => "assistant", _ => role };
            var content = m["content"] ?? m["value"];
            list.Add(new Dictionary<string, object?> { ["role"] = role, ["content"] = ContentText(content, where, i) });
        }
        return list;
    }

    private static string ContentText(JsonNode? content, string where, int index)
    {
        switch (content)
        {
            case null: return "";
            case JsonValue v when v.GetValueKind() == JsonValueKind.String: return v.GetValue<string>();
            case JsonArray parts:
                var sb = new StringBuilder();
                foreach (var part in parts)
                {
                    if (part is JsonValue pv && pv.GetValueKind() == JsonValueKind.String) { sb.Append(pv.GetValue<string>()); continue; }
                    if (part is not JsonObject po) continue;
                    var type = po["type"] is JsonValue t ? t.ToString() : "text";
                    if (type != "text") throw new DataFormatException($"{where}: messages[{index}] has a '{type}' content part; only text parts are supported", field: "messages");
                    var text = po["text"] ?? po["value"];
                    if (text is JsonValue tv) sb.Append(tv.ToString());
                }
                return sb.ToString();
            default: return content.ToJsonString();
        }
    }
}
