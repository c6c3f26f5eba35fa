// Effect tests for model, lora, dataset and tokenizer keys: each key changes what FineTuneRun.FromConfig builds (no training step needed).
using TuneSharp.Testing;
using TuneSharp.Training.Config;
using TuneSharp.Training.Runs;
using TuneSharp.Training.Sft;

namespace TuneSharp.Training.Tests;

/// <summary>Listed in <see cref="ConfigKeyCoverageTests"/>; the tiny TinyStories model keeps each build to a fraction of a second.</summary>
public sealed class RunKeyEffectTests
{
    private static string Model => SharedAssets.Require("models/tinystories-656k");

    private static RunConfig Config(string dir, string data, params string[] overrides) => RunConfig.FromOverrides(
    [
        $"model.name_or_path={Model}", $"dataset.path={data}", $"training.output_dir={Path.Combine(dir, "out")}",
        "training.max_steps=1", "training.report_to=[]", "training.per_device_train_batch_size=2", .. overrides,
    ]);

    private static string Write(string dir, string name, params string[] lines)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllLines(path, lines);
        return path;
    }

    private static int Trained(TokenizedExample e) => e.Labels.Count(l => l != TokenizedExample.IgnoreIndex);

    [Fact]
    public void ModelKeysPickTheWeightsAndQuantizeThem()
    {
        var dir = TrainerTestUtil.TempDir("modelkeys");
        try
        {
            var data = Write(dir, "d.jsonl", "{\"text\": \"Tom had a red ball.\"}", "{\"text\": \"Sue saw a big dog.\"}");
            using (var plain = FineTuneRun.FromConfig(Config(dir, data, "dataset.format=text")))
            {
                using var cfg = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(Model, "config.json")));
                Assert.Equal(cfg.RootElement.GetProperty("hidden_size").GetInt32(), plain.Model.Config.HiddenSize);
                Assert.All(plain.Model.Linears, l => Assert.Null(l.QuantizedWeight));
            }
            using (var q = FineTuneRun.FromConfig(Config(dir, data, "dataset.format=text", "model.load_in_4bit=true")))
                Assert.All(q.Model.Linears, l => Assert.False(l.QuantizedWeight!.DoubleQuant));
            using (var dq = FineTuneRun.FromConfig(Config(dir, data, "dataset.format=text", "model.load_in_4bit=true", "model.bnb_4bit_use_double_quant=true")))
                Assert.All(dq.Model.Linears, l => Assert.True(l.QuantizedWeight!.DoubleQuant));
            Assert.Contains("model.name_or_path", Assert.ThrowsAny<TuneSharpException>(() => FineTuneRun.FromConfig(Config(dir, data, "model.name_or_path=null"))).Message);
        }
        finally { TrainerTestUtil.Delete(dir); }
    }

    [Fact]
    public void LoraKeysShapeTheAdapter()
    {
        var dir = TrainerTestUtil.TempDir("lorakeys");
        try
        {
            var data = Write(dir, "d.jsonl", "{\"text\": \"Tom had a red ball.\"}", "{\"text\": \"Sue saw a big dog.\"}");
            using (var run = FineTuneRun.FromConfig(Config(dir, data, "dataset.format=text", "lora.r=4", "lora.lora_alpha=8", "lora.lora_dropout=0.25",
                "lora.target_modules=[q_proj, v_proj]", "lora.modules_to_save=[lm_head]")))
            {
                var lora = run.Lora!;
                Assert.All(lora.AdaptedLayers, l => Assert.True(l.Name.EndsWith("q_proj") || l.Name.EndsWith("v_proj"), l.Name));
                Assert.Equal(2 * run.Model.Config.NumHiddenLayers, lora.AdaptedLayers.Count);
                var a = lora.AdapterOf(lora.AdaptedLayers[0]);
                Assert.Equal(4, a.Rank);
                Assert.Equal(2f, a.Scaling); // alpha / r
                Assert.Equal(0.25f, a.Dropout);
                Assert.Equal("lm_head", Assert.Single(lora.SavedModules).Name);
                // init_adapter: a saved adapter (B changed so it is not the zero init) comes back instead of a fresh one.
                a.B.Value.AsSpan<float>().Fill(0.5f);
                run.SaveAdapter(Path.Combine(dir, "adapter"));
            }
            using (var rs = FineTuneRun.FromConfig(Config(dir, data, "dataset.format=text", "lora.r=4", "lora.lora_alpha=8", "lora.use_rslora=true")))
                Assert.Equal(4f, rs.Lora!.AdapterOf(rs.Lora.AdaptedLayers[0]).Scaling); // alpha / sqrt(r)
            using (var init = FineTuneRun.FromConfig(Config(dir, data, "dataset.format=text", $"lora.init_adapter={Path.Combine(dir, "adapter")}")))
            {
                var b = init.Lora!.AdapterOf(init.Lora.AdaptedLayers[0]).B.Value.ToFloatArray();
                Assert.All(b, x => Assert.Equal(0.5f, x));
            }
            using (var full = FineTuneRun.FromConfig(Config(dir, data, "dataset.format=text", "lora.enabled=false")))
            {
                Assert.Null(full.Lora);
                Assert.All(full.Model.Linears, l => Assert.True(l.Weight.RequiresGrad, l.Name));
            }
            Assert.Contains("bias", Assert.ThrowsAny<TuneSharpException>(() => FineTuneRun.FromConfig(Config(dir, data, "dataset.format=text", "lora.bias=all"))).Message);
        }
        finally { TrainerTestUtil.Delete(dir); }
    }

    [Fact]
    public void DatasetKeysChooseRowsAndWhatIsTrained()
    {
        var dir = TrainerTestUtil.TempDir("datakeys");
        try
        {
            var alpaca = Write(dir, "a.jsonl", Enumerable.Range(0, 10).Select(i => $"{{\"instruction\": \"Say {i}\", \"input\": \"\", \"output\": \"Tom had {i} balls.\", \"q\": \"Say {i}\", \"a\": \"Tom had {i} balls.\"}}").ToArray());
            var eval = Write(dir, "e.jsonl", Enumerable.Range(0, 3).Select(i => $"{{\"instruction\": \"Say {i}\", \"input\": \"\", \"output\": \"Sue had {i} dogs.\"}}").ToArray());
            Tokenizers.Tokenizer? tokenizer = null;
            RunData Load(params string[] o)
            {
                using var run = FineTuneRun.FromConfig(Config(dir, alpaca, o));
                tokenizer = run.Tokenizer;
                return run.Data;
            }
            // path / eval_path / test_size
            var plain = Load();
            Assert.Equal(10, plain.Train.Count);
            Assert.Null(plain.Eval);
            Assert.Equal(3, Load($"dataset.eval_path={eval}").Eval!.Count);
            var split = Load("dataset.test_size=0.3");
            Assert.Equal((7, 3), (split.Train.Count, split.Eval!.Count));
            // format alpaca trains only the response; completion_only_loss false trains every token.
            Assert.All(plain.Train, e => Assert.InRange(Trained(e), 1, e.Length - 1));
            Assert.All(Load("training.completion_only_loss=false").Train, e => Assert.Equal(e.Length, Trained(e)));
            // format text trains every token; columns renames q/a to what format completion expects.
            var text = Load("dataset.format=text", "dataset.columns={text: output}");
            Assert.All(text.Train, e => Assert.Equal(e.Length, Trained(e)));
            Assert.DoesNotContain("Say", tokenizer!.Decode(text.Train[0].InputIds));
            var renamed = Load("dataset.format=completion", "dataset.columns={prompt: q, completion: a}");
            Assert.Contains("Say 0", tokenizer!.Decode(renamed.Train[0].InputIds));
            Assert.ThrowsAny<TuneSharpException>(() => Load("dataset.format=completion"));
            // custom template/response_template: the response template is what trains.
            var custom = Load("dataset.format=custom", "dataset.template='Q {instruction} A'", "dataset.response_template=' {output} The end.'");
            Assert.True(Trained(custom.Train[0]) > Trained(plain.Train[0]), "the longer response template trains more tokens");
            // max_seq_length (and its model.* twin) truncates.
            Assert.Contains(text.Train, e => e.Length > 6);
            Assert.All(Load("dataset.format=text", "dataset.columns={text: output}", "training.max_seq_length=6").Train, e => Assert.True(e.Length <= 6));
            Assert.All(Load("dataset.format=text", "dataset.columns={text: output}", "model.max_seq_length=5").Train, e => Assert.True(e.Length <= 5));
            // packing concatenates whole examples into rows of max_seq_length (TRL), so examples are not truncated first.
            Assert.Contains(Load("dataset.format=text", "dataset.columns={text: output}", "training.max_seq_length=6", "training.packing=true").Train, e => e.Length > 6);
        }
        finally { TrainerTestUtil.Delete(dir); }
    }

    [Fact]
    public void SplitsAndInstructionTemplateSelectAndMaskRows()
    {
        var dir = TrainerTestUtil.TempDir("splitkeys");
        try
        {
            var train = Write(dir, "train.jsonl", Enumerable.Range(0, 4).Select(i => $"{{\"text\": \"Say {i}. <|start_story|> Tom had {i} balls.\"}}").ToArray());
            var test = Write(dir, "test.jsonl", "{\"text\": \"Hi. <|start_story|> Sue saw a dog.\"}");
            RunData Load(params string[] o)
            {
                using var run = FineTuneRun.FromConfig(RunConfig.FromOverrides(
                [
                    $"model.name_or_path={Model}", $"training.output_dir={Path.Combine(dir, "out")}", "training.report_to=[]", "dataset.format=text", .. o,
                ]));
                return run.Data;
            }
            var files = $"dataset.data_files={{train: {train}, test: {test}}}";
            var both = Load(files, "dataset.eval_split=test");
            Assert.Equal((4, 1), (both.Train.Count, both.Eval!.Count));
            Assert.Single(Load(files, "dataset.split=test").Train);
            // Added tokens keep the markers one id wherever they stand (this tokenizer's merges cross word boundaries).
            // response_template alone masks everything before the response marker; instruction_template masks each human turn too.
            var full = Load($"dataset.path={train}");
            var response = Load($"dataset.path={train}", "dataset.response_template='<|start_story|>'");
            Assert.True(Trained(response.Train[0]) < Trained(full.Train[0]));
            // Multi-turn: <|start_story|> (also BOS) opens a human turn, <|end_story|> (also EOS) ends it; with instruction_template
            // the human turns are masked and both answers train ("Hello." and "Tom had 1 ball.").
            var multi = Write(dir, "multi.jsonl", "{\"text\": \"Hi. <|end_story|> Hello. <|start_story|> Say 1. <|end_story|> Tom had 1 ball.\"}");
            var row = Load($"dataset.path={multi}", "dataset.response_template='<|end_story|>'", "dataset.instruction_template='<|start_story|>'").Train[0];
            const int Bos = 1, Eos = 2; // <|start_story|>, <|end_story|> in tinystories-656k's tokenizer.json
            int firstEnd = Array.IndexOf(row.InputIds, Eos), secondStart = Array.IndexOf(row.InputIds, Bos, 1);
            Assert.All(row.Labels[..(firstEnd + 1)], l => Assert.Equal(TokenizedExample.IgnoreIndex, l));
            Assert.All(row.Labels[(firstEnd + 1)..secondStart], l => Assert.NotEqual(TokenizedExample.IgnoreIndex, l));
            Assert.Equal(TokenizedExample.IgnoreIndex, row.Labels[secondStart]);
            Assert.NotEqual(TokenizedExample.IgnoreIndex, row.Labels[^2]);
        }
        finally { TrainerTestUtil.Delete(dir); }
    }

    [Fact]
    public void TokenizerPathAndChatTemplateAreTheOnesUsed()
    {
        var dir = TrainerTestUtil.TempDir("tokkeys");
        try
        {
            var chat = Write(dir, "c.jsonl", "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"Tom had a ball.\"}]}");
            const string template = "{% for m in messages %}{% if m.role == 'assistant' %}{% generation %}{{ m.content }}{% endgeneration %}{% else %}Q {{ m.content }} A {% endif %}{% endfor %}";
            var templateFile = Write(dir, "t.jinja", template);
            using (var run = FineTuneRun.FromConfig(Config(dir, chat, "dataset.format=chat", $"tokenizer.chat_template={templateFile}")))
                Assert.Contains("Q Hi A", run.Tokenizer!.Decode(run.Data.Train[0].InputIds));
            // tokenizer.path: a folder holding only the tokenizer files is the one read; an empty one is named in the error.
            var tok = Directory.CreateDirectory(Path.Combine(dir, "tok")).FullName;
            foreach (var f in new[] { "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json" }) File.Copy(Path.Combine(Model, f), Path.Combine(tok, f));
            var text = Write(dir, "t.jsonl", "{\"text\": \"Tom had a red ball.\"}");
            using (var run = FineTuneRun.FromConfig(Config(dir, text, "dataset.format=text", $"tokenizer.path={tok}")))
                Assert.Contains("Tom had a red ball.", run.Tokenizer!.Decode(run.Data.Train[0].InputIds));
            var empty = Directory.CreateDirectory(Path.Combine(dir, "empty")).FullName;
            Assert.Contains("empty", Assert.ThrowsAny<Exception>(() => FineTuneRun.FromConfig(Config(dir, text, "dataset.format=text", $"tokenizer.path={empty}"))).Message);
        }
        finally { TrainerTestUtil.Delete(dir); }
    }

    [Fact]
    public void GenerationEvalKeysSetRowsTokensAndMetrics()
    {
        var dir = TrainerTestUtil.TempDir("genkeys");
        try
        {
            var data = Write(dir, "d.jsonl", Enumerable.Range(0, 5).Select(i => $"{{\"prompt\": \"Tom had a red ball\", \"completion\": \". He gave it to dog {i}.\"}}").ToArray());
            IReadOnlyList<Evaluation.Prediction.PredictedRow> Predict(out IReadOnlyDictionary<string, double> metrics, params string[] o)
            {
                using var run = FineTuneRun.FromConfig(Config(dir, data, ["dataset.format=completion", $"dataset.eval_path={data}", "training.eval_strategy=steps", .. o]));
                metrics = run.Trainer.GenerationEvaluator!.Evaluate();
                return run.Trainer.GenerationEvaluator.LastPredictions;
            }
            var three = Predict(out var m, "training.eval_generation_metrics=[exact_match, rougeL]", "training.eval_generation_samples=2", "training.eval_generation_max_new_tokens=3");
            Assert.Equal(["eval_exact_match", "eval_rougeL"], m.Keys.Order());
            Assert.Equal(2, three.Count);
            Assert.All(three, r => Assert.InRange(r.CompletionTokens, 1, 3));
            var all = Predict(out m, "training.eval_generation_metrics=[rougeL]", "training.eval_generation_samples=0", "training.eval_generation_max_new_tokens=12");
            Assert.Equal(["eval_rougeL"], m.Keys);
            Assert.Equal(5, all.Count);
            Assert.Contains(all, r => r.CompletionTokens > 3);
        }
        finally { TrainerTestUtil.Delete(dir); }
    }
}
