// `tunesharp chat`: interactive multi-turn chat with streaming output; /reset clears the history, /exit (or end of input) quits.
using System.CommandLine;
using TuneSharp.Inference;
using TuneSharp.Nn.Lora;
using TuneSharp.Nn.Peft;

namespace TuneSharp.Cli.Commands;

[CliVerb(25)]
public static class ChatCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = "Hugging Face model folder or llama .gguf file", Required = true };
        var adapter = new Option<string?>("--adapter") { Description = "A PEFT LoRA adapter folder to apply (merged into the weights for inference)" };
        var system = new Option<string?>("--system") { Description = "System prompt (first message of every conversation)" };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "Longest reply in tokens", DefaultValueFactory = _ => 256 };
        var temperature = new Option<float>("--temperature") { Description = "0 = greedy", DefaultValueFactory = _ => 0.7f };
        var topP = new Option<float>("--top-p") { Description = "Nucleus sampling mass", DefaultValueFactory = _ => 0.9f };
        var rep = new Option<float>("--repetition-penalty") { Description = "1 = off", DefaultValueFactory = _ => 1.1f };
        var seed = new Option<int?>("--seed") { Description = "Sampling seed (reproducible replies)" };
        var cmd = new Command("chat", "Chat with a model: type a message, the reply streams back; /reset starts over, /exit quits (stdin may be piped)");
        foreach (var o in new Option[] { model, adapter, system, maxNew, temperature, topP, rep, seed }) cmd.Options.Add(o);
        cmd.SetAction(p =>
        {
            string path = p.GetValue(model)!;
            if (!Directory.Exists(path) && !File.Exists(path)) throw new UsageException($"{path}: no such model folder or file. Give a Hugging Face folder or a .gguf file.");
            var gen = Generator.FromPretrained(path);
            gen.Warning += w => Console.Error.WriteLine("warning: " + w);
            // Unmerged: the adapter runs on its side path over the base weights (one forward, no merged copy).
            if (p.GetValue(adapter) is { } ad) gen.LoadAdapter(ad);
            var options = new GenerationOptions
            {
                MaxNewTokens = p.GetValue(maxNew), Temperature = p.GetValue(temperature), TopP = p.GetValue(topP),
                RepetitionPenalty = p.GetValue(rep), Seed = p.GetValue(seed), SkipSpecialTokens = true,
            };
            options.Validate();
            string? systemPrompt = p.GetValue(system);
            bool interactive = !Console.IsInputRedirected;
            if (interactive) Console.Error.WriteLine($"chatting with {path}{(gen.ChatTemplate == null ? " (no chat template: plain User/Assistant text)" : "")}; /reset clears, /exit quits");
            var history = new List<object?>();
            void Reset()
            {
                history.Clear();
                if (systemPrompt != null) history.Add(Message("system", systemPrompt));
            }
            Reset();
            while (true)
            {
                if (interactive) Console.Error.Write("> ");
                var line = Console.In.ReadLine();
                if (line == null) break;
                line = line.Trim();
                if (line.Length == 0) continue;
                if (line is "/exit" or "/quit") break;
                if (line == "/reset")
                {
                    Reset();
                    Console.Out.WriteLine("[conversation reset]");
                    continue;
                }
                history.Add(Message("user", line));
                // The history is re-sent every turn: the oldest turns go once it would not fit the model's context.
                int budget = ChatHistory.Budget(gen.MaxPositions, options.MaxNewTokens);
                var (ids, dropped) = ChatHistory.Fit(history, h => gen.ChatTemplate != null ? gen.EncodeChat(h) : gen.Encode(PlainPrompt(h)), budget);
                if (dropped > 0)
                    Console.Error.WriteLine($"[history trimmed: dropped the {dropped} oldest message{(dropped == 1 ? "" : "s")}{(systemPrompt != null ? " (the system prompt stays)" : "")} to keep the prompt within {budget} tokens of the model's max_position_embeddings {gen.MaxPositions}]");
                var result = gen.Generate(ids, options, piece => { Console.Out.Write(piece); Console.Out.Flush(); });
                Console.Out.WriteLine();
                history.Add(Message("assistant", result.Text.Trim()));
            }
            return 0;
        });
        return cmd;
    }

    private static Dictionary<string, object?> Message(string role, string content) => new() { ["role"] = role, ["content"] = content };

    private static string PlainPrompt(IEnumerable<object?> history) =>
        string.Concat(history.Cast<Dictionary<string, object?>>().Select(m => (string)m["role"]! switch
        {
            "user" => $"User: {m["content"]}\n",
            "assistant" => $"Assistant: {m["content"]}\n",
            _ => $"{m["content"]}\n",
        })) + "Assistant:";
}
