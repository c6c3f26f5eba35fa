// Text generation over the KV-cache path (as transformers' GenerationMixin.generate: greedy/sampling, stop criteria, left-padded batches).
using System.Runtime.CompilerServices;
using System.Text;
using TuneSharp.Models;
using TuneSharp.Nn;
using TuneSharp.Nn.Lora;
using TuneSharp.Nn.Peft;
using TuneSharp.Tokenizers;

namespace TuneSharp.Inference;

/// <summary>
/// Prefills the prompt(s), then decodes one token per step from the last-position logits. Stops a row on any
/// stop id (config eos ids ∪ tokenizer eos ∪ <see cref="GenerationOptions.StopTokenIds"/>), when its text contains
/// a stop string, or at max_new_tokens. Streaming hands out valid UTF-8 pieces (the tokenizer's streaming
/// decoder), holding back text that might still turn out to begin a stop string.
/// Batches are left-padded; row positions start at 0 at each row's first real token.
/// </summary>
public sealed class Generator
{
    public Generator(CausalLM model, Tokenizer tokenizer, ChatTemplate? chatTemplate = null)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        Tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        ChatTemplate = chatTemplate;
    }

    /// <summary>
    /// Loads model, tokenizer and (when present) chat template from an HF folder or a llama .gguf file
    /// (tokenizer from tokenizer.ggml.*, template from tokenizer.chat_template).
    /// </summary>
    public static Generator FromPretrained(string path, ModelLoadOptions? options = null)
    {
        var model = CausalLM.FromPretrained(path, options);
        try
        {
            Tokenizer tok;
            ChatTemplate? template = null;
            if (Directory.Exists(path))
            {
                tok = Tokenizer.FromPretrained(path);
                template = ChatTemplate.TryFromDirectory(path);
            }
            else
            {
                var g = Tensors.IO.Gguf.GgufFile.Open(path);
                tok = Models.Loading.GgufTokenizer.Load(g);
                if (Models.Loading.GgufTokenizer.ChatTemplate(g) is { } t) template = new ChatTemplate(t, tok.BosToken, tok.EosToken, path);
            }
            return new Generator(model, tok, template);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    public CausalLM Model { get; }

    /// <summary>
    /// Loads a PEFT adapter folder onto the model, unmerged, under <paramref name="name"/> (several adapters can be
    /// loaded; each request or batch row picks one by name, see <see cref="GenerationOptions.Adapter"/>).
    /// </summary>
    public LoraModel LoadAdapter(string folder, string name = AdapterSelection.DefaultName)
    {
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"{folder}: adapter folder not found (expected {PeftAdapter.ConfigFileName} + {PeftAdapter.WeightsFileName})");
        var lora = PeftAdapter.Load(folder, Model, name);
        _adapters[name] = lora;
        return lora;
    }

    /// <summary>Removes an adapter loaded with <see cref="LoadAdapter"/> from the model.</summary>
    public void UnloadAdapter(string name)
    {
        if (!_adapters.Remove(name, out var lora)) throw new KeyNotFoundException($"no adapter named '{name}' is loaded (loaded: {string.Join(", ", _adapters.Keys)})");
        lora.Remove();
    }

    /// <summary>Adapters loaded by name.</summary>
    public IReadOnlyDictionary<string, LoraModel> Adapters => _adapters;

    private readonly Dictionary<string, LoraModel> _adapters = new(StringComparer.Ordinal);

    public Tokenizer Tokenizer { get; }

    public ChatTemplate? ChatTemplate { get; }

    /// <summary>
    /// Raised (before decoding) for a prompt that does not fit the model's positions: longer than
    /// max_position_embeddings, or long enough that max_new_tokens would run past it. The text names both numbers and
    /// the key; the CLI prints it as a warning. Generation still runs, as transformers' does.
    /// </summary>
    public event Action<string>? Warning;

    /// <summary>The model's max_position_embeddings (config.json; GGUF context_length): the positions it was trained on.</summary>
    public int MaxPositions => Model.Config.MaxPositionEmbeddings;

    /// <summary>The warning <see cref="Warning"/> raises for a prompt of <paramref name="promptLength"/> tokens, or null when it fits.</summary>
    public string? ContextWarning(int promptLength, int maxNewTokens)
    {
        int max = MaxPositions;
        if (max <= 0) return null;
        if (promptLength > max)
            return $"the prompt is {promptLength} tokens, longer than the model's max_position_embeddings {max} ({Model.Source}): " +
                   $"positions past {max} were never trained, so the output is unreliable; shorten the prompt to at most {max} tokens";
        if ((long)promptLength + maxNewTokens > max)
            return $"the prompt ({promptLength} tokens) plus max_new_tokens {maxNewTokens} reaches {promptLength + (long)maxNewTokens} positions, beyond the model's " +
                   $"max_position_embeddings {max} ({Model.Source}): text generated past position {max} is unreliable; lower max_new_tokens to {max - promptLength} or shorten the prompt";
        return null;
    }

    /// <summary>Prompt text → ids with the tokenizer's special tokens (BOS as configured).</summary>
    public int[] Encode(string prompt) => Tokenizer.Encode(prompt, addSpecialTokens: true);

    /// <summary>
    /// Chat mode: renders role/content messages with the model's chat template and add_generation_prompt, and
    /// tokenizes without adding special tokens again (the template writes them, as apply_chat_template).
    /// </summary>
    public int[] EncodeChat(IEnumerable<object?> messages)
    {
        var template = ChatTemplate ?? throw new InvalidOperationException($"{Model.Source}: the model has no chat template (tokenizer_config.json chat_template)");
        var text = template.Render(messages, addGenerationPrompt: true);
        return Tokenizer.Encode(text, addSpecialTokens: false);
    }

    /// <summary>Generates from prompt text; <paramref name="onText"/> receives the streamed text pieces.</summary>
    public GenerationResult Generate(string prompt, GenerationOptions? options = null, Action<string>? onText = null) =>
        Generate(Encode(prompt), options, onText);

    /// <summary>Generates from prompt ids.</summary>
    public GenerationResult Generate(IReadOnlyList<int> promptIds, GenerationOptions? options = null, Action<string>? onText = null) =>
        Run([promptIds], options ?? new GenerationOptions(), onText is null ? null : (_, s) => onText(s))[0];

    /// <summary>Streams text pieces as an async sequence (generation runs on a worker thread).</summary>
    public async IAsyncEnumerable<string> StreamAsync(IReadOnlyList<int> promptIds, GenerationOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var channel = System.Threading.Channels.Channel.CreateUnbounded<string>();
        var task = Task.Run(() =>
        {
            try
            {
                Run([promptIds], options ?? new GenerationOptions(), (_, s) =>
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    channel.Writer.TryWrite(s);
                });
                channel.Writer.Complete();
            }
            catch (Exception e) { channel.Writer.Complete(e); }
        }, cancellationToken);
        await foreach (var s in channel.Reader.ReadAllAsync(cancellationToken)) yield return s;
        await task;
    }

    /// <summary>
    /// Batched generation with left padding; result i belongs to prompt i. <paramref name="adapters"/> (one per prompt,
    /// null = base model) overrides <see cref="GenerationOptions.Adapter"/>: rows with different adapters share
    /// every decode step.
    /// </summary>
    public IReadOnlyList<GenerationResult> GenerateBatch(IReadOnlyList<IReadOnlyList<int>> prompts, GenerationOptions? options = null,
        Action<int, string>? onText = null, IReadOnlyList<string?>? adapters = null) => Run(prompts, options ?? new GenerationOptions(), onText, adapters);

    /// <summary>Batched generation from texts.</summary>
    public IReadOnlyList<GenerationResult> GenerateBatch(IReadOnlyList<string> prompts, GenerationOptions? options = null) =>
        Run(prompts.Select(p => (IReadOnlyList<int>)Encode(p)).ToList(), options ?? new GenerationOptions(), null);

    /// <summary>The stop ids used: config eos ids, the tokenizer's eos and the options' extra ids.</summary>
    public HashSet<int> StopIds(GenerationOptions options)
    {
        var set = new HashSet<int>(Model.Config.EosTokenIds);
        if (Tokenizer.EosTokenId is int e) set.Add(e);
        foreach (var id in options.StopTokenIds) set.Add(id);
        return set;
    }

    private IReadOnlyList<GenerationResult> Run(IReadOnlyList<IReadOnlyList<int>> prompts, GenerationOptions o, Action<int, string>? onText,
        IReadOnlyList<string?>? adapters = null)
    {
        o.Validate();
        int bsz = prompts.Count;
        if (bsz == 0) return [];
        if (adapters != null && adapters.Count != bsz) throw new ArgumentException($"{adapters.Count} adapter names for {bsz} prompts");
        foreach (var name in adapters ?? [o.Adapter])
            if (name != null && name != AdapterSelection.DefaultName && !_adapters.ContainsKey(name))
                throw new ArgumentException($"no adapter named '{name}' is loaded (loaded: {(_adapters.Count == 0 ? "none" : string.Join(", ", _adapters.Keys))})");
        var selection = adapters != null ? AdapterSelection.PerSequence(adapters) : AdapterSelection.Single(o.Adapter);
        int vocab = Model.Config.VocabSize;
        for (int b = 0; b < bsz; b++)
        {
            if (prompts[b].Count == 0) throw new ArgumentException($"prompt {b} is empty (give at least one token, e.g. BOS)");
            foreach (var id in prompts[b])
                if ((uint)id >= (uint)vocab) throw new ArgumentException($"prompt {b}: token id {id} is outside the vocabulary (0..{vocab - 1})");
        }
        if (Warning is { } warn)
            for (int b = 0; b < bsz; b++)
                if (ContextWarning(prompts[b].Count, o.MaxNewTokens) is { } w) warn(bsz == 1 ? w : $"prompt {b + 1}: {w}");
        int maxLen = prompts.Max(p => p.Count);
        int pad = Tokenizer.PadTokenId ?? Model.Config.PadTokenId ?? 0;
        if ((uint)pad >= (uint)vocab) pad = 0;
        var stopIds = StopIds(o);

        var rows = new DecodeRow[bsz];
        for (int b = 0; b < bsz; b++) rows[b] = new DecodeRow(prompts[b].ToArray(), Tokenizer.CreateStreamingDecoder(o.SkipSpecialTokens), new LogitsSampler(o, b));
        if (o.MaxNewTokens == 0) return rows.Select(r => r.Result(FinishReason.Length)).ToList();

        using var cache = Model.CreateCache(bsz, maxLen + o.MaxNewTokens);
        var ids = new int[bsz * maxLen];
        var mask = new int[bsz * maxLen];
        for (int b = 0; b < bsz; b++)
        {
            int off = maxLen - prompts[b].Count;
            for (int i = 0; i < maxLen; i++)
            {
                ids[b * maxLen + i] = i < off ? pad : prompts[b][i - off];
                mask[b * maxLen + i] = i < off ? 0 : 1;
            }
        }
        var logits = new float[bsz * vocab];
        Model.Forward(cache, ids, mask.All(m => m == 1) ? default : mask, logits, adapters: selection);
        var step = new int[bsz];
        var stepMask = new int[bsz];
        for (int n = 0; ; n++)
        {
            for (int b = 0; b < bsz; b++)
            {
                var r = rows[b];
                if (r.Finished != null) continue;
                int next = r.Sampler.Next(logits.AsSpan(b * vocab, vocab), r.Seen);
                r.Generated.Add(next);
                r.Seen.Add(next);
                if (stopIds.Contains(next)) { r.Finish(FinishReason.Stop, o, s => onText?.Invoke(b, s)); continue; }
                r.Append(r.Decoder.Add(next), o, s => onText?.Invoke(b, s));
                if (r.Finished == null && r.Generated.Count >= o.MaxNewTokens) r.Finish(FinishReason.Length, o, s => onText?.Invoke(b, s));
            }
            if (rows.All(r => r.Finished != null)) break;
            for (int b = 0; b < bsz; b++)
            {
                bool live = rows[b].Finished == null;
                step[b] = live ? rows[b].Generated[^1] : pad;
                stepMask[b] = live ? 1 : 0;
            }
            Model.Forward(cache, step, stepMask.All(m => m == 1) ? default : stepMask, logits, adapters: selection);
        }
        return rows.Select(r => r.Result(r.Finished!.Value)).ToList();
    }
}
