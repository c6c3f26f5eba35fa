// `tunesharp quickstart`: the README's main command — the whole fine-tuning pipeline on an embedded default, no downloads.
using System.CommandLine;
using TuneSharp.Quickstart;

namespace TuneSharp.Cli.Commands;

[CliVerb(1)]
public static class QuickstartCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--output-dir") { Description = "Where everything goes (base model, adapter, metrics, summary.json)", DefaultValueFactory = _ => "quickstart-output" };
        var json = new Option<bool>("--json") { Description = "Progress to stderr; stdout is one JSON line with base_eval_loss, tuned_eval_loss, output_dir …" };
        var model = new Option<string?>("--model") { Description = "Fine-tune this Hugging Face model folder instead (skips building and pre-training the tiny model)" };
        var seed = new Option<ulong>("--seed") { Description = "Seed for data order, initialisation and LoRA", DefaultValueFactory = _ => 42UL };
        var pretrainSteps = new Option<int?>("--pretrain-steps") { Description = "Continued pre-training steps (default 600)" };
        var sftSteps = new Option<int?>("--sft-steps") { Description = "LoRA SFT steps (default 300)" };
        var tiny = new Option<bool>("--tiny") { Description = "A CI-sized run (seconds): smaller model and fewer steps" };
        var embedding = new Option<string?>("--embedding-model") { Description = "sentence-transformers folder: adds SemScore to the base-vs-tuned evaluation" };
        var judgeEndpoint = new Option<string?>("--judge-endpoint") { Description = "OpenAI-compatible base URL (e.g. http://127.0.0.1:8000/v1): adds the LLM judge to the evaluation" };
        var judgeModel = new Option<string?>("--judge-model") { Description = "Model name the judge endpoint serves" };
        var judgeKeyEnv = new Option<string>("--judge-api-key-env") { Description = "Environment variable holding the judge API key (never printed)", DefaultValueFactory = _ => "OPENAI_API_KEY" };
        var command = new Command("quickstart",
            "Build a tiny Llama with its own tokenizer, continue pre-training it on embedded trade text (English and Korean), " +
            "LoRA-tune it on an embedded instruction set, and evaluate base vs tuned (eval loss, accuracy, ROUGE-L, SemScore) on held-out paraphrased questions");
        foreach (var opt in new Option[] { output, json, model, seed, pretrainSteps, sftSteps, tiny, embedding, judgeEndpoint, judgeModel, judgeKeyEnv }) command.Options.Add(opt);
        command.SetAction(p =>
        {
            string dir = p.GetValue(output)!;
            var o = p.GetValue(tiny) ? QuickstartOptions.Tiny(dir) : new QuickstartOptions { OutputDir = dir };
            o = o with { ModelPath = p.GetValue(model), Seed = p.GetValue(seed), EmbeddingModel = p.GetValue(embedding) };
            if (p.GetValue(pretrainSteps) is int ps) o = o with { PretrainSteps = ps };
            if (p.GetValue(sftSteps) is int ss) o = o with { SftSteps = ss };
            if (p.GetValue(judgeEndpoint) is { } endpoint)
                o = o with
                {
                    Judge = new Evaluation.JudgeConfig
                    {
                        Endpoint = endpoint,
                        Model = p.GetValue(judgeModel) ?? throw new UsageException("--judge-endpoint needs --judge-model NAME"),
                        ApiKeyEnv = p.GetValue(judgeKeyEnv)!,
                    },
                };
            bool asJson = p.GetValue(json);
            using var cts = new CancellationTokenSource();
            ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cts.Cancel(); };
            Console.CancelKeyPress += onCancel;
            try
            {
                var runner = new QuickstartRunner(o, asJson ? Console.Error : Console.Out);
                var result = runner.Run(cts.Token);
                if (asJson) Console.Out.WriteLine(result.ToJson().ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
                else Console.Out.WriteLine($"base eval loss {result.BaseEvalLoss:F4} → tuned eval loss {result.TunedEvalLoss:F4}; output in {result.OutputDir}");
                return 0;
            }
            finally { Console.CancelKeyPress -= onCancel; }
        });
        return command;
    }
}
