// YAML run configs: binding by snake_case names, overrides, typo suggestions, effective-config round trip.
using TuneSharp.Training.Config;

namespace TuneSharp.Training.Tests;

public sealed class RunConfigTests
{
    private const string Yaml = """
        model:
          name_or_path: /models/tiny
          max_seq_length: 256
          load_in_4bit: true
        dataset:
          path: /data/train.jsonl
          format: alpaca
          test_size: 0.1
          columns: {instruction: question, output: answer}
        lora:
          r: 32
          lora_alpha: 64
          target_modules: [q_proj, v_proj]
          use_rslora: true
        training:
          learning_rate: 2e-4
          per_device_train_batch_size: 4
          max_steps: 100
          lr_scheduler_type: cosine
          optim: adamw_8bit
          early_stopping_patience: 3
        tracking:
          report_to: [jsonl]
        """;

    [Fact]
    public void BindsEverySection()
    {
        var c = RunConfig.Parse(Yaml);
        Assert.Equal("/models/tiny", c.Model.NameOrPath);
        Assert.True(c.Model.LoadIn4bit);
        Assert.Equal(256, c.Training.MaxSeqLength);
        Assert.Equal("question", c.Dataset.Columns["instruction"]);
        Assert.Equal(0.1, c.Dataset.TestSize);
        Assert.Equal(32, c.Lora.R);
        Assert.Equal(["q_proj", "v_proj"], c.Lora.TargetModules);
        Assert.True(c.Lora.UseRslora);
        Assert.Equal(2e-4, c.Training.LearningRate);
        Assert.Equal(4, c.Training.PerDeviceTrainBatchSize);
        Assert.Equal(3, c.Training.EarlyStoppingPatience);
        Assert.Equal(["jsonl"], c.Training.ReportTo);
    }

    [Fact]
    public void OverridesWinAndParseYamlValues()
    {
        var c = RunConfig.Parse(Yaml, "cfg", ["training.learning_rate=1e-3", "lora.target_modules=[q_proj,k_proj,o_proj]", "lora.r=4", "training.gradient_checkpointing=true"]);
        Assert.Equal(1e-3, c.Training.LearningRate);
        Assert.Equal(["q_proj", "k_proj", "o_proj"], c.Lora.TargetModules);
        Assert.Equal(4, c.Lora.R);
        Assert.True(c.Training.GradientCheckpointing);
    }

    [Fact]
    public void TypoGetsDidYouMeanWithLine()
    {
        var e = Assert.Throws<ConfigException>(() => RunConfig.Parse("training:\n  learning_rat: 1e-4\n", "my.yaml"));
        Assert.Contains("my.yaml: line 2", e.Message);
        Assert.Contains("Did you mean 'learning_rate'", e.Message);
        var s = Assert.Throws<ConfigException>(() => RunConfig.Parse("trainng:\n  seed: 1\n", "my.yaml"));
        Assert.Contains("Did you mean 'training'", s.Message);
    }

    [Fact]
    public void WrongTypeNamesTheKey()
    {
        var e = Assert.Throws<ConfigException>(() => RunConfig.Parse("lora:\n  r: eight\n", "my.yaml"));
        Assert.Contains("lora.r", e.Message);
        Assert.Contains("not an integer", e.Message);
    }

    [Fact]
    public void EffectiveConfigRoundTrips()
    {
        var c = RunConfig.Parse(Yaml);
        var again = RunConfig.Parse(c.ToYaml());
        Assert.Equal(c.ToYaml(), again.ToYaml());
        Assert.Contains("per_device_train_batch_size: 4", c.ToYaml());
        Assert.Contains("load_in_4bit: true", c.ToYaml());
    }

    [Fact]
    public void DatasetPathListsAndDataFilesPerSplit()
    {
        var c = RunConfig.Parse("dataset:\n  path: [a.parquet, \"data/*.parquet\"]\n  data_files:\n    train: [x.jsonl, y.jsonl]\n    test: z.jsonl\n  eval_split: test\n  instruction_template: \"### Human:\"\n", "cfg.yaml");
        Assert.Equal(["a.parquet", "*.parquet"], c.Dataset.Path!.Split('\n').Select(Path.GetFileName));
        Assert.Equal("x.jsonl\ny.jsonl", c.Dataset.DataFiles["train"]);
        Assert.Equal("z.jsonl", c.Dataset.DataFiles["test"]);
        Assert.Equal("test", c.Dataset.EvalSplit);
        Assert.Equal("### Human:", c.Dataset.InstructionTemplate);
    }
}
