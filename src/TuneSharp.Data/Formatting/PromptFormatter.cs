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
    private readonly CompletionOnlyMasker? _marker;

    public PromptFormatter(Tokenizer tokenizer, PromptFormatOptions options)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(options);
        Tokenizer = tokenizer;
        Options = options;
        if (options.MaxSeqLength < 0) throw new DataFormatException($"max_seq_length must be ≥ 0 (got {options.MaxSeqLength})", field: "max_seq_length");
        if (options.InstructionMarker is { Length: > 0 } && options.ResponseMarker is not { Length: > 0 })
            throw new DataFormatException("instruction_template needs a response_template too (TRL's collator masks from each instruction marker to the next response marker)", field: "instruction_template");
        if (options.ResponseMarker is { Length: > 0 } rm && options.Kind != PromptFormatKind.Custom)
            _marker = new CompletionOnlyMasker(ResponseMarker.Parse(rm, tokenizer, "response_template"),
                options.InstructionMarker is { Length: > 0 } im ? ResponseMarker.Parse(im, tokenizer, "instruction_template") : null);
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

    /// <summary>The marker masker when response_template masking is on (TRL's completion-only collator), else null.</summary>
    public CompletionOnlyMasker? Marker => _marker;

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
    public FormattedExample Format(JsonObject row, string where) => Format(row, where, null, null);

    /// <summary>Formats one row and counts its unknown-token characters into <paramref name="coverage"/> under <paramref name="file"/>.</summary>
    public FormattedExample Format(JsonObject row, string where, Tokenizers.TokenizerCoverage? coverage, string? file)
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
        coverage?.Add(file ?? "dataset", text, enc);
        var ids = enc.Ids;
        bool trainAll = !Options.CompletionOnly || Options.Kind == PromptFormatKind.Text;
        int[] labels = trainAll ? (int[])ids.Clone() : ChatTemplateMask.MaskLabels(ids, ChatTemplateMask.TokenMask(enc.Offsets, spans), FormattedExample.IgnoreIndex);

        if (Options.AppendEos && Tokenizer.EosTokenId is int eos && (ids.Length == 0 || ids[^1] != eos) && NeedsEos(text))
        {
            ids = [.. ids, eos];
            labels = [.. labels, trainAll || lastIsResponse ? eos : FormattedExample.IgnoreIndex];
        }
        return Finish(FormattedExample.Create(ids, labels), Options.MaxSeqLength);
    }

    /// <summary>
    /// The row untruncated and as training sees it (truncated to max_seq_length, labels from the marker if any), from
    /// one tokenization: what `data stats` needs for lengths and truncation counts.
    /// </summary>
    public (FormattedExample Full, FormattedExample Trained) FormatBoth(JsonObject row, string where, Tokenizers.TokenizerCoverage? coverage = null, string? file = null)
    {
        var full = Options.MaxSeqLength == 0 ? null : new PromptFormatter(Tokenizer, Options with { MaxSeqLength = 0 }, _marker);
        if (full is null)
        {
            var e = Format(row, where, coverage, file);
            return (e, e);
        }
        var untruncated = full.Format(row, where, coverage, file);
        var unmasked = _marker is null ? untruncated : untruncated with { Labels = untruncated.InputIds.ToArray() };
        return (untruncated, Finish(unmasked, Options.MaxSeqLength));
    }

    private PromptFormatter(Tokenizer tokenizer, PromptFormatOptions options, CompletionOnlyMasker? marker) : this(tokenizer, options with { ResponseMarker = null, InstructionMarker = null })
        => _marker = marker;

    private FormattedExample Finish(FormattedExample example, int maxSeqLength)
    {
        if (maxSeqLength > 0) example = Truncate(example, maxSeqLength);
        if (_marker is null) return example;
        // TRL tokenizes (and truncates) first and runs the collator on what is left, so masking comes last.
        var masked = _marker.Mask(example.InputIds);
        return example with
        {
            Labels = masked.Labels,
            MissingMarker = !masked.ResponseFound ? "response" : !masked.InstructionFound ? "instruction" : null,
            ResponseTruncatedAway = false,
        };
    }

    /// <summary>
    /// The warning for a row whose marker was not found, with the likely cause: the marker text is in the row but
    /// tokenizes differently there (then its in-context ids are suggested), it was truncated away, or it is absent.
    /// </summary>
    public string MissingMarkerWarning(JsonObject row, FormattedExample example, string where)
    {
        var marker = example.MissingMarker == "instruction" ? _marker!.Instruction! : _marker!.Response;
        string setting = example.MissingMarker == "instruction" ? "instruction_template" : "response_template";
        var head = $"{where}: could not find the {example.MissingMarker} marker {marker} in the row's tokens; the row is ignored in the loss (all labels −100), as TRL's DataCollatorForCompletionOnlyLM does.";
        if (marker.GivenAsIds) return head + " Check the ids against `tunesharp tokenize` of a real row.";
        string text;
        try { text = RenderText(row, where); }
        catch (DataFormatException) { return head; }
        int at = text.IndexOf(marker.Spec, StringComparison.Ordinal);
        if (at < 0) return head + " The row's text does not contain it.";
        var enc = Tokenizer.EncodeWithOffsets(text, Options.Kind != PromptFormatKind.Chat);
        var inContext = new List<int>();
        for (int i = 0; i < enc.Ids.Length; i++)
        {
            var (s, e) = enc.Offsets[i];
            // Every token overlapping the marker, so the whole marker (and what merged into its last token) is masked.
            if (s < at + marker.Spec.Length && e > at) inContext.Add(enc.Ids[i]);
        }
        if (Options.MaxSeqLength > 0 && example.TruncatedTokens > 0 && enc.Offsets.Take(Options.MaxSeqLength).All(o => o.End <= at))
            return head + $" The marker lies beyond max_seq_length {Options.MaxSeqLength}; raise it or shorten the prompt.";
        return head + $" The text contains it, but it tokenizes differently in context (alone: [{string.Join(", ", marker.Ids)}]); " +
               (inContext.Count > 0
                   ? $"set {setting} to its in-context ids [{string.Join(", ", inContext)}]."
                   : "no token covers it here; choose a marker that begins after a line break.");
    }

    // The text the row tokenizes from (segments joined, or the rendered conversation).
    private string RenderText(JsonObject row, string where)
    {
        if (Options.Kind != PromptFormatKind.Chat) return string.Concat(Segments(row, where).Select(s => s.Text));
        return _chat!.RenderWithAssistantSpans(ChatMessages.FromRow(row, where)).Text;
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
    /// Formats rows as they stream in (memory stays bounded), counting unknown-token characters per file into
    /// <paramref name="coverage"/> and warning about the first rows without their marker or response (then counting).
    /// With <paramref name="both"/> it also yields each row untruncated (for length statistics).
    /// </summary>
    public IEnumerable<StreamedExample> FormatStream(IEnumerable<(string File, long Row, JsonObject Value)> rows,
        Tokenizers.TokenizerCoverage coverage, Action<string>? warn = null, bool both = false)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(coverage);
        int missing = 0, truncatedAway = 0;
        foreach (var (file, row, value) in rows)
        {
            var where = RowLocation.Of(file, row);
            var (full, e) = both ? FormatBoth(value, where, coverage, file) : (null, Format(value, where, coverage, file));
            if (e.MissingMarker != null && ++missing <= 3) warn?.Invoke(MissingMarkerWarning(value, e, where));
            if (e.ResponseTruncatedAway && ++truncatedAway <= 3)
                warn?.Invoke($"{where}: the response is entirely truncated away at max_seq_length {Options.MaxSeqLength} " +
                             $"({e.Length + e.TruncatedTokens} tokens); it teaches nothing. Raise max_seq_length or shorten the prompt.");
            yield return new StreamedExample(file, row, value, e, full ?? e);
        }
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
        var coverage = new Tokenizers.TokenizerCoverage(Tokenizer);
        int truncatedAway = 0, missing = 0;
        for (int i = 0; i < dataset.Count; i++)
        {
            var file = dataset.FileOf(i) ?? name;
            var where = RowLocation.Of(file, dataset.RowInFile(i));
            var e = Format(dataset[i], where, coverage, file);
            if (e.MissingMarker != null && ++missing <= 3) warn?.Invoke(MissingMarkerWarning(dataset[i], e, where));
            if (e.ResponseTruncatedAway)
            {
                truncatedAway++;
                if (truncatedAway <= 3)
                    warn?.Invoke($"{where}: the response is entirely truncated away at max_seq_length {Options.MaxSeqLength} " +
                                 $"({e.Length + e.TruncatedTokens} tokens); it teaches nothing. Raise max_seq_length or shorten the prompt.");
            }
            rows.Add(e);
        }
        if (missing > 3) warn?.Invoke($"{missing} of {rows.Count} rows of {name} have no {(_marker?.Instruction is null ? "response marker" : "response or instruction marker")}; they teach nothing.");
        if (truncatedAway > 3) warn?.Invoke($"{truncatedAway} of {rows.Count} rows of {name} lost their whole response to truncation at max_seq_length {Options.MaxSeqLength}.");
        if (coverage.UnknownCharacters > 0) warn?.Invoke("tokenizer coverage: " + coverage.Report().Replace("\n", "\n  ", StringComparison.Ordinal));
        return new FormattedDataset(rows, truncatedAway) { Coverage = coverage, MissingMarkers = missing };
    }
}
