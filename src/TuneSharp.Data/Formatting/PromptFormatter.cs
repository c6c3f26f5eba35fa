// Turns dataset rows into token ids + labels: prompt formats, completion-only masks, EOS handling and truncation
// (the TRL SFTTrainer data path: trl/trainer/sft_trainer.py tokenize + add EOS + completion/assistant masks).
using System.Text.Json.Nodes;
using TuneSharp.Tokenizers;

namespace TuneSharp.Data.Formatting;

/// <summary>
/// Formats one row at a time. Non-chat formats build prompt/response segments, tokenize the whole text once (with the
/// tokenizer's special tokens, e.g. BOS) and label the tokens overlapping response characters; the chat format renders
/// the conversation with the chat template (special tokens come from the template, as apply_chat_template does) and labels
/// the assistant spans. EOS is appended only when the ids do not already end with it.
/// </summary>
public sealed class PromptFormatter
{
    private readonly FieldTemplate? _prompt;
    private readonly FieldTemplate? _response;
    private readonly FieldTemplate _alpacaWithInput = new(AlpacaPrompts.WithInput, "alpaca prompt");
    private readonly FieldTemplate _alpacaNoInput = new(AlpacaPrompts.NoInput, "alpaca prompt");
    private readonly ChatTemplate? _chat;

    public PromptFormatter(Tokenizer tokenizer, PromptFormatOptions options)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(options);
        Tokenizer = tokenizer;
        Options = options;
        if (options.MaxSeqLength < 0) throw new DataFormatException($"max_seq_length must be ≥ 0 (got {options.MaxSeqLength})", field: "max_seq_length");
        switch (options.Kind)
        {
            case PromptFormatKind.Custom:
                if (string.IsNullOrEmpty(options.PromptTemplate))
                    throw new DataFormatException(
                        "the custom format needs a prompt template. Set dataset.template, e.g. \"Question: {question}\\nAnswer: \", and dataset.response_template, e.g. \"{answer}\".",
                        field: "template");
                _prompt = new FieldTemplate(options.PromptTemplate, "dataset.template");
                if (options.ResponseTemplate is { Length: > 0 } r) _response = new FieldTemplate(r, "dataset.response_template");
                break;
            case PromptFormatKind.Chat:
                _chat = options.ChatTemplate ?? throw new DataFormatException(
                    $"the chat format needs a chat template, but the tokenizer{(tokenizer.Source is null ? "" : $" at {tokenizer.Source}")} has none " +
                    "(no chat_template in tokenizer_config.json and no chat_template.jinja). Set tokenizer.chat_template to a Jinja file or string, or use format alpaca.",
                    field: "chat_template");
                break;
        }
    }

    public Tokenizer Tokenizer { get; }

    public PromptFormatOptions Options { get; }

    /// <summary>Prompt/response pieces of a non-chat row (the chat format renders instead; see <see cref="Format"/>).</summary>
    public IReadOnlyList<PromptSegment> Segments(JsonObject row, string where)
    {
        switch (Options.Kind)
        {
            case PromptFormatKind.Alpaca:
            {
                bool hasInput = row["input"] is JsonNode input && input.ToString().Trim().Length > 0;
                var prompt = (hasInput ? _alpacaWithInput : _alpacaNoInput).Fill(row, where);
                return [new(prompt, false), new(FieldTemplate.FieldText(row, "output", where, "the alpaca format"), true)];
            }
            case PromptFormatKind.Completion:
                return [new(FieldTemplate.FieldText(row, "prompt", where, "the completion format"), false),
                        new(FieldTemplate.FieldText(row, "completion", where, "the completion format"), true)];
            case PromptFormatKind.Text:
                return [new(FieldTemplate.FieldText(row, Options.TextColumn, where, "the text format"), true)];
            case PromptFormatKind.Custom:
                return _response is null
                    ? [new(_prompt!.Fill(row, where), true)]
                    : [new(_prompt!.Fill(row, where), false), new(_response.Fill(row, where), true)];
            default:
                throw new InvalidOperationException("the chat format has no segments; use Format");
        }
    }

    /// <summary>Formats and tokenizes one row; <paramref name="where"/> names it in errors (e.g. "data.json row 12").</summary>
    public FormattedExample Format(JsonObject row, string where)
    {
        ArgumentNullException.ThrowIfNull(row);
        string text;
        IReadOnlyList<ChatTemplateSpan> spans;
        bool addSpecial;
        bool lastIsResponse;
        if (Options.Kind == PromptFormatKind.Chat)
        {
            var messages = ChatMessages.FromRow(row, where);
            ChatTemplateRendering rendering;
            try { rendering = _chat!.RenderWithAssistantSpans(messages); }
            catch (Exception e) when (e is ChatTemplateException or TuneSharp.Tokenizers.Jinja.TemplateException or ArgumentException)
            {
                throw new DataFormatException($"{where}: the chat template failed on this conversation: {e.Message}", field: "messages", inner: e);
            }
            text = rendering.Text;
            spans = rendering.AssistantSpans;
            addSpecial = false;
            lastIsResponse = messages[^1] is Dictionary<string, object?> last && (string?)last["role"] == "assistant";
        }
        else
        {
            var segments = Segments(row, where);
            var list = new List<ChatTemplateSpan>();
            var sb = new System.Text.StringBuilder();
            foreach (var s in segments)
            {
                if (s.Trainable && s.Text.Length > 0) list.Add(new ChatTemplateSpan(sb.Length, sb.Length + s.Text.Length, list.Count));
                sb.Append(s.Text);
            }
            text = sb.ToString();
            spans = list;
            addSpecial = true;
            lastIsResponse = segments.Count > 0 && segments[^1].Trainable;
        }

        var enc = Tokenizer.EncodeWithOffsets(text, addSpecial);
        var ids = enc.Ids;
        bool trainAll = !Options.CompletionOnly || Options.Kind == PromptFormatKind.Text;
        int[] labels = trainAll ? (int[])ids.Clone() : ChatTemplateMask.MaskLabels(ids, ChatTemplateMask.TokenMask(enc.Offsets, spans), FormattedExample.IgnoreIndex);

        if (Options.AppendEos && Tokenizer.EosTokenId is int eos && (ids.Length == 0 || ids[^1] != eos) && NeedsEos(text))
        {
            ids = [.. ids, eos];
            labels = [.. labels, trainAll || lastIsResponse ? eos : FormattedExample.IgnoreIndex];
        }
        var example = FormattedExample.Create(ids, labels);
        return Options.MaxSeqLength > 0 ? Truncate(example, Options.MaxSeqLength) : example;
    }

    // Chat templates close turns themselves (e.g. <end_of_turn>); only append EOS when the template never writes it.
    private bool NeedsEos(string text) =>
        Options.Kind != PromptFormatKind.Chat || Tokenizer.EosToken is not { Length: > 0 } e || !text.Contains(e, StringComparison.Ordinal);

    /// <summary>Keeps the first <paramref name="maxSeqLength"/> tokens (TRL truncation), flagging rows whose response is cut away entirely.</summary>
    public static FormattedExample Truncate(FormattedExample e, int maxSeqLength)
    {
        if (e.Length <= maxSeqLength) return e;
        bool hadTrained = e.Labels.Skip(1).Any(l => l != FormattedExample.IgnoreIndex);
        var labels = e.Labels[..maxSeqLength];
        bool hasTrained = labels.Skip(1).Any(l => l != FormattedExample.IgnoreIndex);
        return new FormattedExample(e.InputIds[..maxSeqLength], labels, e.AttentionMask[..maxSeqLength])
        {
            ResponseTruncatedAway = hadTrained && !hasTrained,
            TruncatedTokens = e.Length - maxSeqLength,
        };
    }

    /// <summary>
    /// Formats every row. Rows whose response is truncated away are reported through <paramref name="warn"/> (the first
    /// few by name, then a count) and kept, as TRL does; an empty dataset is an error.
    /// </summary>
    public FormattedDataset FormatAll(Dataset dataset, Action<string>? warn = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        string name = dataset.Source ?? "dataset";
        if (dataset.Count == 0)
            throw new DataFormatException(
                "the dataset has no rows (an empty file, or every row removed by filtering/max_samples). Check the path and any filter, or lower test_size.",
                dataset.Source);
        var rows = new List<FormattedExample>(dataset.Count);
        int truncatedAway = 0;
        for (int i = 0; i < dataset.Count; i++)
        {
            var e = Format(dataset[i], $"{name} row {i + 1}");
            if (e.ResponseTruncatedAway)
            {
                truncatedAway++;
                if (truncatedAway <= 3)
                    warn?.Invoke($"{name} row {i + 1}: the response is entirely truncated away at max_seq_length {Options.MaxSeqLength} " +
                                 $"({e.Length + e.TruncatedTokens} tokens); it teaches nothing. Raise max_seq_length or shorten the prompt.");
            }
            rows.Add(e);
        }
        if (truncatedAway > 3) warn?.Invoke($"{truncatedAway} of {rows.Count} rows of {name} lost their whole response to truncation at max_seq_length {Options.MaxSeqLength}.");
        return new FormattedDataset(rows, truncatedAway);
    }
}
