// Turns test rows into prompts the way training formatted them: the run config's prompt format, or by the row's columns
// (messages → chat template, instruction/input → Alpaca, prompt → as is, question → chat template when the model has one).
using System.Text.Json;
using System.Text.Json.Nodes;
using TuneSharp.Data;
using TuneSharp.Data.Formatting;
using TuneSharp.Tokenizers;

namespace TuneSharp.Evaluation.Prediction;

/// <summary>
/// The prompt is everything training puts before the trained response: for chat rows the conversation without its final
/// assistant turn, rendered with add_generation_prompt (special tokens come from the template, as apply_chat_template);
/// for the other formats the prompt text, tokenized with the tokenizer's special tokens (BOS), as TRL tokenizes it.
/// The removed final answer (or output / completion / answer) becomes the reference unless the row has "reference(s)".
/// </summary>
public sealed class PromptBuilder
{
    private static readonly FieldTemplate AlpacaWithInput = new(AlpacaPrompts.WithInput, "alpaca prompt");
    private static readonly FieldTemplate AlpacaNoInput = new(AlpacaPrompts.NoInput, "alpaca prompt");
    private readonly Tokenizer _tokenizer;
    private readonly ChatTemplate? _chat;
    private readonly PromptFormatOptions? _format;
    private readonly FieldTemplate? _custom;
    private readonly FieldTemplate? _customResponse;

    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="chatTemplate">The model's chat template (null when it has none).</param>
    /// <param name="format">The run config's prompt format (dataset.format, template, chat template); null = detect from the columns.</param>
    public PromptBuilder(Tokenizer tokenizer, ChatTemplate? chatTemplate, PromptFormatOptions? format = null)
    {
        _tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        _format = format;
        _chat = format?.ChatTemplate ?? chatTemplate;
        if (format is { Kind: PromptFormatKind.Custom })
        {
            _custom = new FieldTemplate(format.PromptTemplate ?? throw new EvaluationInputException("the run config's custom format has no dataset.template", ExitCode.Config), "dataset.template");
            if (format.ResponseTemplate is { Length: > 0 } r) _customResponse = new FieldTemplate(r, "dataset.response_template");
        }
        if (format is { Kind: PromptFormatKind.Chat } && _chat is null)
            throw new EvaluationInputException("the run config uses the chat format but no chat template was found; set tokenizer.chat_template", ExitCode.Config);
    }

    /// <summary>Builds row <paramref name="index"/>; <paramref name="where"/> names it in errors ("test.jsonl:3").</summary>
    public PredictionPrompt Build(JsonObject row, int index, string where)
    {
        string? id = row["id"] is { } idNode ? (idNode.GetValueKind() == JsonValueKind.String ? idNode.GetValue<string>() : idNode.ToJsonString()) : null;
        var refs = ExplicitReferences(row, where);
        int[] ids;
        string? question;
        string? answer;
        try
        {
            (ids, question, answer) = (_format?.Kind ?? Detect(row, where)) switch
            {
                PromptFormatKind.Chat => Chat(row, where),
                PromptFormatKind.Alpaca => Alpaca(row, where),
                PromptFormatKind.Custom => Custom(row, where),
                PromptFormatKind.Completion or PromptFormatKind.Text => Plain(row, where),
                var k => throw new EvaluationInputException($"{where}: the {k} format has no prompt to generate from", ExitCode.Config),
            };
        }
        catch (DataFormatException e) { throw new EvaluationInputException(e.Message); }
        if (refs.Count == 0 && answer is not null) refs = [answer];
        if (ids.Length == 0) throw new EvaluationInputException($"{where}: the prompt is empty; give the row a non-empty prompt");
        return new PredictionPrompt(index, id ?? index.ToString(System.Globalization.CultureInfo.InvariantCulture), id, ids, question, refs);
    }

    private PromptFormatKind Detect(JsonObject row, string where)
    {
        if (row.ContainsKey("messages") || row.ContainsKey("conversations") || row.ContainsKey("conversation")) return PromptFormatKind.Chat;
        if (row.ContainsKey("instruction")) return PromptFormatKind.Alpaca;
        if (row.ContainsKey("prompt")) return PromptFormatKind.Completion;
        if (row.ContainsKey("question")) return _chat is null ? PromptFormatKind.Completion : PromptFormatKind.Chat;
        throw new EvaluationInputException($"{where}: no prompt column; give each row \"messages\", \"instruction\" (+ \"input\"), \"prompt\" or \"question\" " +
            $"(it has: {string.Join(", ", row.Select(p => p.Key))}), or pass the training run's --config for its prompt format");
    }

    private (int[], string?, string?) Chat(JsonObject row, string where)
    {
        var template = _chat ?? throw new EvaluationInputException($"{where}: chat rows need a chat template, and the model has none; " +
            "use instruction/prompt columns or pass the training run's --config");
        var messages = ChatMessages.FromRow(row, where);
        string? answer = null;
        if (messages.Count > 0 && messages[^1] is Dictionary<string, object?> last && (string?)last["role"] == "assistant")
        {
            answer = last["content"] as string;
            messages.RemoveAt(messages.Count - 1);
        }
        if (messages.Count == 0) throw new EvaluationInputException($"{where}: the conversation has no turn before the answer to prompt with");
        string? question = messages.OfType<Dictionary<string, object?>>().LastOrDefault(m => (string?)m["role"] == "user")?["content"] as string;
        string text;
        try { text = template.Render(messages, addGenerationPrompt: true); }
        catch (Exception e) when (e is ChatTemplateException or Tokenizers.Jinja.TemplateException or ArgumentException)
        {
            throw new EvaluationInputException($"{where}: the chat template failed on this conversation: {e.Message}");
        }
        return (_tokenizer.Encode(text, addSpecialTokens: false), question, answer);
    }

    private (int[], string?, string?) Alpaca(JsonObject row, string where)
    {
        bool hasInput = row["input"] is JsonNode input && input.ToString().Trim().Length > 0;
        var prompt = (hasInput ? AlpacaWithInput : AlpacaNoInput).Fill(row, where);
        string question = FieldTemplate.FieldText(row, "instruction", where, "the alpaca format");
        if (hasInput) question += "\n\n" + row["input"]!.ToString();
        return (_tokenizer.Encode(prompt, addSpecialTokens: true), question, Text(row, "output"));
    }

    private (int[], string?, string?) Custom(JsonObject row, string where)
    {
        var prompt = _custom!.Fill(row, where);
        string? answer = null;
        if (_customResponse is not null && _customResponse.Fields.All(f => row[f] is not null)) answer = _customResponse.Fill(row, where);
        return (_tokenizer.Encode(prompt, addSpecialTokens: true), prompt, answer);
    }

    private (int[], string?, string?) Plain(JsonObject row, string where)
    {
        string column = row.ContainsKey("prompt") ? "prompt" : row.ContainsKey("question") ? "question" : "prompt";
        var prompt = FieldTemplate.FieldText(row, column, where, "prediction");
        return (_tokenizer.Encode(prompt, addSpecialTokens: true), prompt, Text(row, "completion") ?? Text(row, "answer") ?? Text(row, "output"));
    }

    private static string? Text(JsonObject row, string key) => row[key] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static List<string> ExplicitReferences(JsonObject row, string where)
    {
        var refs = new List<string>();
        foreach (var key in new[] { "reference", "references" })
        {
            switch (row[key])
            {
                case null: break;
                case JsonArray a: refs.AddRange(a.Select((x, i) => x is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : throw new EvaluationInputException($"{where}: \"{key}\"[{i}] is not a string"))); break;
                case JsonValue v when v.GetValueKind() == JsonValueKind.String: refs.Add(v.GetValue<string>()); break;
                default: throw new EvaluationInputException($"{where}: \"{key}\" must be a string or a list of strings");
            }
        }
        return refs;
    }
}
