// Playground backend over TuneSharp.Inference.Generator: the model's chat template if it has one, else the last user turn as the prompt.
using TuneSharp.Inference;

namespace TuneSharp.Dashboard.Chat;

public sealed class GeneratorChatBackend(string model, string? adapter) : IChatBackend
{
    private readonly SemaphoreSlim _gate = new(1, 1); // one generation at a time: the engine uses every core
    private Generator? _generator;

    public string Describe() => adapter == null ? model : $"{model} + {adapter}";

    public async Task<string> ChatAsync(IReadOnlyList<ChatMessage> messages, int maxNewTokens, float temperature, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return await Task.Run(() =>
            {
                if (_generator == null)
                {
                    _generator = Generator.FromPretrained(model);
                    if (adapter != null) _generator.LoadAdapter(adapter);
                }
                var options = new GenerationOptions { MaxNewTokens = Math.Clamp(maxNewTokens, 1, 1024), Temperature = Math.Max(0, temperature), Seed = 0 };
                IReadOnlyList<int> ids = _generator.ChatTemplate != null
                    ? _generator.EncodeChat(messages.Select(m => (object?)new Dictionary<string, object?> { ["role"] = m.Role, ["content"] = m.Content }))
                    : _generator.Encode(messages.LastOrDefault(m => m.Role == "user")?.Content ?? "");
                return _generator.Generate(ids, options).Text;
            }, cancellationToken);
        }
        finally { _gate.Release(); }
    }
}
