// The fuzzed formats and their seeds: safetensors, GGUF, tokenizer.json, tokenizer_config.json + chat templates, config.json,
// YAML run configs, JSONL/JSON/CSV rows, PEFT adapter folders. Seeds are real files from ../shared/assets and examples/.
using System.Text;
using System.Text.Json;
using TuneSharp.Data.Formatting;
using TuneSharp.Data.Loading;
using TuneSharp.Models;
using TuneSharp.Models.Config;
using TuneSharp.Nn.Lora;
using TuneSharp.Nn.Peft;
using TuneSharp.Tensors.IO;
using TuneSharp.Tokenizers;
using TuneSharp.Training.Config;

namespace TuneSharp.Fuzz;

internal static class FuzzTargets
{
    private const string TinyConfig = """
        {"model_type": "llama", "vocab_size": 48, "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 2,
         "num_attention_heads": 2, "num_key_value_heads": 1, "max_position_embeddings": 128, "rms_norm_eps": 1e-5,
         "tie_word_embeddings": false, "bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 0}
        """;

    private static readonly List<object?> Conversation =
    [
        new Dictionary<string, object?> { ["role"] = "system", ["content"] = "You are terse." },
        new Dictionary<string, object?> { ["role"] = "user", ["content"] = "무역 용어: 환적?" },
        new Dictionary<string, object?> { ["role"] = "assistant", ["content"] = "Transshipment." },
        new Dictionary<string, object?> { ["role"] = "user", ["content"] = "Thanks" },
    ];

    public static List<FuzzTarget> Create(string work)
    {
        string repo = FindRepo();
        string assets = Path.Combine(repo, "..", "shared", "assets");
        if (!Directory.Exists(assets)) throw new DirectoryNotFoundException($"{assets} not found: the fuzz seeds come from ../shared/assets");
        string tiny = Path.Combine(assets, "models", "tinystories-656k");
        byte[] Read(params string[] parts) => File.ReadAllBytes(Path.Combine(parts));

        // A real PEFT adapter (and its safetensors) written by our saver from a tiny random model.
        var seedDir = Path.Combine(work, "seed-adapter");
        using (var model = CausalLM.CreateRandom(ModelConfig.FromJson(TinyConfig, "tiny"), seed: 1))
        {
            var lora = LoraModel.Inject(model, new LoraConfig { R = 4, LoraAlpha = 8, TargetModules = ["q_proj", "v_proj", "down_proj"] }, seed: 2);
            PeftAdapter.Save(seedDir, lora, "tiny");
            SafeTensorsWriter.Write(Path.Combine(work, "seed-model.safetensors"), model.NamedParameters().Select(p => (p.Name, p.Parameter.Value)).ToList());
        }
        var adapterConfig = Read(seedDir, "adapter_config.json");
        var adapterWeights = Read(seedDir, "adapter_model.safetensors");
        var tinyTokenizerDir = Path.Combine(assets, "tokenizers", "tinystories-656k");
        var tokenizer = Tokenizer.FromPretrained(tinyTokenizerDir);
        var templates = Directory.GetFiles(Path.Combine(assets, "chat-templates"), "*.jinja").Order(StringComparer.Ordinal)
            .Select(f => (Name: f, Text: File.ReadAllText(f))).ToList();
        var llamaTemplate = new ChatTemplate(templates.First(t => t.Name.Contains("Llama", StringComparison.Ordinal)).Text, "<s>", "</s>");

        byte[] TokenizerConfig(string template) => Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["bos_token"] = "<s>", ["eos_token"] = "</s>", ["chat_template"] = template,
        }));

        var examples = Path.Combine(repo, "examples");
        var yamlSeeds = Directory.GetFiles(examples, "config.yaml", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(f => ("config.yaml", File.ReadAllBytes(f))).ToList();

        return
        [
            new("safetensors", [("weights.safetensors", adapterWeights), ("weights.safetensors", Read(work, "seed-model.safetensors"))], Text: false, Jinja: false,
                _ => { }, (_, path) =>
                {
                    using var f = SafeTensorsFile.Open(path);
                    foreach (var t in f.Tensors)
                    {
                        if (t.DType is "F32" or "BF16" or "F16") f.GetTensor(t.Name).Dispose();
                        else GC.KeepAlive(f.GetBytes(t.Name).Length);
                    }
                }),
            new("gguf", [("model.gguf", Read(tiny, "TinyStories-656K-Q8_0.gguf"))], Text: false, Jinja: false,
                _ => { }, (_, path) =>
                {
                    // Every case reads the header, vocabulary and model config; every third also loads and dequantizes the weights.
                    var f = TuneSharp.Tensors.IO.Gguf.GgufFile.Open(path);
                    TuneSharp.Models.Loading.TokenizerFiles.FromFile(path);
                    if (new FileInfo(path).Length % 3 == 0) CausalLM.FromPretrained(path).Dispose();
                    GC.KeepAlive(f);
                }),
            new("tokenizer.json", [("tokenizer.json", Read(tinyTokenizerDir, "tokenizer.json"))], Text: true, Jinja: false,
                _ => { }, (_, path) =>
                {
                    var t = Tokenizer.FromFile(path);
                    var ids = t.Encode("Once upon a time, 한국어 <s> text 123 ☃");
                    GC.KeepAlive(t.Decode(ids));
                }),
            new("tokenizer_config.json", templates.Select(t => ("tokenizer_config.json", TokenizerConfig(t.Text))).ToList(), Text: true, Jinja: true,
                _ => { }, (_, path) => ChatTemplate.FromTokenizerConfig(path).Render(Conversation, addGenerationPrompt: true)),
            new("config.json", [("config.json", Read(tiny, "config.json")), ("config.json", Read(assets, "models", "configs", "smollm2-135m", "config.json")),
                ("config.json", Read(assets, "models", "configs", "bench20m.json"))], Text: true, Jinja: false,
                folder => File.Copy(Path.Combine(tiny, "model.safetensors"), Path.Combine(folder, "model.safetensors"), overwrite: true),
                (folder, path) =>
                {
                    var config = ModelConfig.Load(path);
                    // Only configs of the tiny model's size are loaded with its weights (the others would be real multi-GB models).
                    if (config.HiddenSize * (double)config.VocabSize < 1e7 && config.NumHiddenLayers <= 64) CausalLM.FromPretrained(folder).Dispose();
                }),
            new("run config yaml", yamlSeeds, Text: true, Jinja: false, _ => { }, (_, path) => RunConfig.Parse(File.ReadAllText(path), "config.yaml")),
            new("dataset rows", [("rows.jsonl", Read(examples, "toeic-questions", "data", "train.jsonl")), ("rows.json", Read(examples, "alpaca-completion-only", "data", "alpaca_mini.json")),
                ("rows.csv", Read(examples, "trade-qa", "data", "glossary.csv")), ("chat.jsonl", Read(examples, "trade-qa", "data", "train.jsonl"))], Text: true, Jinja: false,
                _ => { }, (_, path) =>
                {
                    var ds = DatasetFiles.Load(path);
                    if (path.EndsWith(".csv", StringComparison.Ordinal)) return;
                    var chat = Path.GetFileName(path) == "chat.jsonl";
                    var formatter = new PromptFormatter(tokenizer, new PromptFormatOptions
                    {
                        Kind = chat ? PromptFormatKind.Chat : PromptFormatKind.Alpaca,
                        ChatTemplate = chat ? llamaTemplate : null,
                        MaxSeqLength = 256,
                    });
                    formatter.FormatAll(ds);
                }),
            new("peft adapter", [("adapter_config.json", adapterConfig), ("adapter_model.safetensors", adapterWeights)], Text: true, Jinja: false,
                folder =>
                {
                    File.WriteAllBytes(Path.Combine(folder, "adapter_config.json"), adapterConfig);
                    File.WriteAllBytes(Path.Combine(folder, "adapter_model.safetensors"), adapterWeights);
                },
                (folder, _) =>
                {
                    using var model = CausalLM.CreateRandom(ModelConfig.FromJson(TinyConfig, "tiny"), seed: 1);
                    PeftAdapter.Load(folder, model);
                }),
        ];
    }

    private static string FindRepo()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "TuneSharp.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? Directory.GetCurrentDirectory();
    }
}
