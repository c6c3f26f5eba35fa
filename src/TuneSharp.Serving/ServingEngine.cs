// The engine behind the server and the in-process clients: generator, batch scheduler, served names, prompt encoding.
using TuneSharp.Inference;
using TuneSharp.Inference.Scheduling;

namespace TuneSharp.Serving;

/// <summary>
/// One base model (served as <see cref="ModelName"/>) and its adapters (served under their names) behind one
/// <see cref="BatchScheduler"/>, plus an optional <see cref="TextEmbedder"/>. The HTTP server and
/// <see cref="TuneSharpChatClient"/> share it, so requests from both batch together.
/// </summary>
public sealed class ServingEngine : IDisposable
{
    private readonly object _tokenizerLock = new();

    public ServingEngine(Generator generator, SchedulerOptions? scheduler = null, string? modelName = null, TextEmbedder? embedder = null)
    {
        Generator = generator ?? throw new ArgumentNullException(nameof(generator));
        ModelName = modelName ?? DefaultName(generator.Model.Source);
        Scheduler = new BatchScheduler(generator, scheduler);
        Embedder = embedder;
    }

    /// <summary>
    /// Loads an HF folder or .gguf file and the given PEFT adapters (name → folder), unmerged, plus an optional
    /// sentence-transformers folder for /v1/embeddings.
    /// </summary>
    public static ServingEngine Load(string modelPath, IReadOnlyList<KeyValuePair<string, string>>? adapters = null, SchedulerOptions? scheduler = null, string? modelName = null,
        string? embeddingModel = null)
    {
        var gen = Generator.FromPretrained(modelPath);
        try
        {
            foreach (var (name, dir) in adapters ?? []) gen.LoadAdapter(dir, name);
            return new ServingEngine(gen, scheduler, modelName, embeddingModel is null ? null : TextEmbedder.Load(embeddingModel));
        }
        catch
        {
            gen.Model.Dispose();
            throw;
        }
    }

    public Generator Generator { get; }

    public BatchScheduler Scheduler { get; }

    public TextEmbedder? Embedder { get; }

    /// <summary>The request "model" that selects the base model.</summary>
    public string ModelName { get; }

    private static string DefaultName(string source)
    {
        var trimmed = source.TrimEnd('/', '\\');
        var name = Path.GetFileName(trimmed);
        return string.IsNullOrEmpty(name) ? "tunesharp" : name;
    }

    /// <summary>
    /// Request "model" → adapter name (null = base). The base answers to <see cref="ModelName"/>; each adapter to its
    /// name. Unknown names → 404 model_not_found.
    /// </summary>
    public string? ResolveAdapter(string model)
    {
        if (model == ModelName) return null;
        if (Scheduler.AdapterNames.Contains(model)) return model;
        throw new OpenAiException(404, $"The model '{model}' does not exist; served: {string.Join(", ", ServedModels())}", "invalid_request_error", "model", "model_not_found");
    }

    /// <summary>The base name first, then the adapters.</summary>
    public IEnumerable<string> ServedModels() => [ModelName, .. Scheduler.AdapterNames];

    /// <summary>Prompt text → ids with the tokenizer's special tokens.</summary>
    public int[] EncodePrompt(string text)
    {
        lock (_tokenizerLock) return Generator.Encode(text);
    }

    /// <summary>Messages rendered with the chat template (generation prompt added) → ids, as <c>generate --chat</c>.</summary>
    public int[] EncodeChat(IReadOnlyList<Dictionary<string, object?>> messages)
    {
        if (Generator.ChatTemplate is null)
            throw OpenAiException.BadRequest($"the model {ModelName} has no chat template (tokenizer_config.json chat_template); use /v1/completions", "messages");
        lock (_tokenizerLock)
        {
            try { return Generator.EncodeChat(messages); }
            catch (Exception e) when (e is not OutOfMemoryException) { throw OpenAiException.BadRequest($"the chat template failed on these messages: {e.Message}", "messages"); }
        }
    }

    /// <summary>A token's text as logprobs report it.</summary>
    public string TokenText(int id)
    {
        lock (_tokenizerLock) return Generator.Tokenizer.Decode([id]);
    }

    internal Tokenizers.Tokenizer Tokenizer => Generator.Tokenizer;

    internal T WithTokenizer<T>(Func<Tokenizers.Tokenizer, T> f)
    {
        lock (_tokenizerLock) return f(Generator.Tokenizer);
    }

    public void Dispose()
    {
        Scheduler.Dispose();
        Generator.Model.Dispose();
    }
}
