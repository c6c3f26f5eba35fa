// Shared helpers for the trainer/checkpoint/resume/tracking tests: a tiny random llama, seeded token data, temp folders.
using TuneSharp.Models;
using TuneSharp.Models.Config;
using TuneSharp.Nn.Lora;
using TuneSharp.Training.Sft;

namespace TuneSharp.Training.Tests;

internal static class TrainerTestUtil
{
    public const int Vocab = 48;

    public const string TinyLlamaConfig = """
        {"model_type": "llama", "vocab_size": 48, "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 2,
         "num_attention_heads": 2, "num_key_value_heads": 1, "max_position_embeddings": 128, "rms_norm_eps": 1e-5,
         "rope_theta": 10000.0, "tie_word_embeddings": false, "bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 0}
        """;

    public static CausalLM TinyModel(int seed = 3) => CausalLM.CreateRandom(ModelConfig.FromJson(TinyLlamaConfig, "tiny-llama"), seed: seed);

    public static LoraConfig Lora(float dropout = 0f, int r = 4) => new()
    {
        R = r,
        LoraAlpha = 8,
        LoraDropout = dropout,
        TargetModules = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
    };

    /// <summary>A tiny LoRA model: random base + injected adapter with B filled so outputs depend on it.</summary>
    public static (CausalLM Model, LoraModel Lora) TinyLoraModel(float dropout = 0f, int seed = 3)
    {
        var model = TinyModel(seed);
        var lora = LoraModel.Inject(model.Linears.Select(l => (l.Name, l)), Lora(dropout), seed: 7);
        return (model, lora);
    }

    /// <summary>Rows of varying length with a learnable pattern (next = (prev·3 + 1) mod V); the first 2 labels masked.</summary>
    public static List<TokenizedExample> Data(int rows, int seed = 11, int minLen = 5, int maxLen = 12)
    {
        var rng = new Random(seed);
        var list = new List<TokenizedExample>();
        for (int r = 0; r < rows; r++)
        {
            int n = rng.Next(minLen, maxLen + 1);
            var ids = new int[n];
            ids[0] = rng.Next(3, Vocab);
            for (int i = 1; i < n; i++) ids[i] = (ids[i - 1] * 3 + 1) % Vocab;
            var labels = (int[])ids.Clone();
            labels[0] = labels[1] = TokenizedExample.IgnoreIndex;
            list.Add(new TokenizedExample(ids, labels));
        }
        return list;
    }

    public static TrainingOptions Options(string outputDir) => new()
    {
        OutputDir = outputDir,
        PerDeviceTrainBatchSize = 2,
        PerDeviceEvalBatchSize = 3,
        GradientAccumulationSteps = 1,
        LearningRate = 1e-2,
        LrSchedulerType = SchedulerType.Constant,
        MaxSteps = 6,
        LoggingSteps = 1,
        SaveStrategy = IntervalStrategy.No,
        MaxGradNorm = 1.0,
        Seed = 5,
        MaxSeqLength = 16,
    };

    public static SftTrainer Trainer(TrainingOptions o, List<TokenizedExample>? train = null, List<TokenizedExample>? eval = null, float dropout = 0f, int modelSeed = 3)
    {
        var (model, lora) = TinyLoraModel(dropout, modelSeed);
        return new SftTrainer(model, null, o, train ?? Data(10), eval, lora) { Progress = new Tracking.ConsoleProgress(TextWriter.Null) };
    }

    public static string TempDir(string tag) => Directory.CreateTempSubdirectory($"tunesharp-{tag}-").FullName;

    public static void Delete(string dir)
    {
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
