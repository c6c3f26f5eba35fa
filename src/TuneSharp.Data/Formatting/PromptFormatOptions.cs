// Settings of the prompt-format layer: which format, its templates, masking, truncation and EOS handling.
using TuneSharp.Tokenizers;

namespace TuneSharp.Data.Formatting;

public sealed record PromptFormatOptions
{
    public PromptFormatKind Kind { get; init; } = PromptFormatKind.Alpaca;

    /// <summary>Custom format: prompt template with {field} placeholders ({{ and }} are literal braces).</summary>
    public string? PromptTemplate { get; init; }

    /// <summary>Custom format: response template with {field} placeholders; the part trained on.</summary>
    public string? ResponseTemplate { get; init; }

    /// <summary>
    /// Completion-only masking of pre-rendered text by a marker matched on token ids (TRL's DataCollatorForCompletionOnlyLM
    /// response_template): text, or ids as "[1, 2, 3]". For every format but custom (where response_template is the
    /// {field} template); it replaces the format's own prompt/response masks.
    /// </summary>
    public string? ResponseMarker { get; init; }

    /// <summary>Multi-turn masking: the marker starting each human turn (TRL's instruction_template); needs <see cref="ResponseMarker"/>.</summary>
    public string? InstructionMarker { get; init; }

    /// <summary>Chat format: the template (default: the tokenizer folder's chat template).</summary>
    public ChatTemplate? ChatTemplate { get; init; }

    /// <summary>Text format: the column holding the document (default "text").</summary>
    public string TextColumn { get; init; } = "text";

    /// <summary>
    /// Labels only the response tokens (−100 on the prompt), TRL's completion_only_loss / assistant_only_loss.
    /// Ignored by the text format, which always trains on everything.
    /// </summary>
    public bool CompletionOnly { get; init; } = true;

    /// <summary>
    /// Appends EOS when the token sequence does not already end with it (TRL does this for non-conversational data; chat
    /// templates close turns themselves, so the chat format only appends when the template never emits EOS).
    /// </summary>
    public bool AppendEos { get; init; } = true;

    /// <summary>Longest sequence in tokens; 0 = no truncation here (the trainer truncates).</summary>
    public int MaxSeqLength { get; init; }

    /// <summary>Parses a format name as used in configs and on the command line.</summary>
    public static PromptFormatKind ParseKind(string name) => name.Trim().ToLowerInvariant() switch
    {
        "alpaca" or "instruction" => PromptFormatKind.Alpaca,
        "chat" or "chat_template" or "chat-template" or "messages" or "conversation" or "sharegpt" => PromptFormatKind.Chat,
        "completion" or "prompt_completion" or "prompt-completion" => PromptFormatKind.Completion,
        "text" or "pretrain" or "pretraining" or "raw" => PromptFormatKind.Text,
        "custom" or "template" => PromptFormatKind.Custom,
        _ => throw new DataFormatException(
            $"unknown dataset format '{name}'{Hint(name)}. Use one of: alpaca, chat, completion, text, custom (or tokenized for pre-tokenized input_ids/labels).",
            field: "format"),
    };

    private static string Hint(string name) =>
        Suggest.Closest(name, ["alpaca", "chat", "completion", "text", "custom", "tokenized"]) is { } s ? $" (did you mean '{s}'?)" : "";
}
