// `tunesharp pipeline run|split|predict|serve-check`: run a pipeline.yaml (DAG, cache, resume, registry), and the step verbs it calls.
using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using TuneSharp.Inference;
using TuneSharp.Pipelines;
using TuneSharp.Pipelines.Actions;
using TuneSharp.Pipelines.Model;
using TuneSharp.Pipelines.Registry;
using TuneSharp.Pipelines.Running;
using TuneSharp.Pipelines.Slurm;
using ServeCheck = TuneSharp.Pipelines.Actions.ServeCheck;

namespace TuneSharp.Cli.Commands;

[CliVerb(80)]
public static class PipelineCommand
{
    public static Command Create()
    {
        var command = new Command("pipeline", "Run a whole fine-tuning project from one pipeline.yaml: a DAG of steps, cached by content hash, resumable");
        command.Subcommands.Add(RunVerb());
        command.Subcommands.Add(SplitVerb());
        command.Subcommands.Add(PredictVerb());
        command.Subcommands.Add(ServeCheckVerb());
        return command;
    }

    private static Command RunVerb()
    {
        var file = new Argument<string>("pipeline") { Description = "pipeline.yaml" };
        var force = new Option<string[]>("--force") { Description = "Rerun this step even when cached (repeatable)" };
        var registry = new Option<string?>("--registry") { Description = $"Run registry database (default: $TUNESHARP_REGISTRY or ~/.tunesharp/registry.db)" };
        var noRegistry = new Option<bool>("--no-registry") { Description = "Do not record this run in the registry" };
        var executor = new Option<string?>("--executor") { Description = "local or slurm (default: the pipeline's executor:)" };
        var check = new Option<bool>("--check") { Description = "Validate the pipeline (kinds, needs, inputs) and print the plan; run nothing" };
        var cmd = new Command("run", "Run the steps whose inputs, settings or tool version changed; skip the rest (cache); continue an interrupted run");
        cmd.Arguments.Add(file);
        foreach (var o in new Option[] { force, registry, noRegistry, executor, check }) cmd.Options.Add(o);
        cmd.SetAction(p => Guard(() =>
        {
            var pipeline = PipelineParser.Load(p.GetValue(file)!);
            var verbs = ToolInfo.Verbs();
            if (p.GetValue(check))
            {
                var order = PipelineValidator.Validate(pipeline, verbs);
                Console.Out.WriteLine($"{pipeline.Name}: {order.Count} steps, work folder {pipeline.WorkDir}");
                foreach (var s in order) Console.Out.WriteLine($"  {s.Name} ({s.Kind}){(s.Needs.Count > 0 ? " ← " + string.Join(", ", s.Needs) : "")}");
                return 0;
            }
            string exec = p.GetValue(executor) ?? pipeline.Executor;
            IStepExecutor executorImpl = exec switch
            {
                "local" => new LocalExecutor(),
                "slurm" => new SlurmExecutor(pipeline.SlurmOptions),
                _ => throw new PipelineException($"--executor {exec}: use local or slurm", ExitCode.Usage),
            };
            var reg = p.GetValue(noRegistry) ? null : new RunRegistry(p.GetValue(registry) ?? RunRegistry.DefaultPath);
            var runner = new PipelineRunner(pipeline, new PipelineRunOptions
            {
                Tool = ToolInfo.SelfCommand(),
                ToolVersion = ToolInfo.Version(),
                Verbs = verbs,
                Executor = executorImpl,
                Force = (p.GetValue(force) ?? []).ToHashSet(StringComparer.Ordinal),
                Registry = reg,
                Log = line => Console.Error.WriteLine(line),
            });
            using var cts = new CancellationTokenSource();
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; Console.Error.WriteLine("interrupt: stopping running steps…"); cts.Cancel(); });
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; cts.Cancel(); });
            bool ok = runner.RunAsync(cts.Token).GetAwaiter().GetResult();
            int ran = runner.Steps.Values.Count(s => s.Status == StepStatus.Succeeded), cached = runner.Steps.Values.Count(s => s.Status == StepStatus.Cached);
            Console.Out.WriteLine($"{pipeline.Name}: {(ok ? "succeeded" : "failed")}: {ran} ran, {cached} cached, "
                + $"{runner.Steps.Values.Count(s => s.Status == StepStatus.Failed)} failed, {runner.Steps.Values.Count(s => s.Status == StepStatus.Skipped)} skipped"
                + (reg != null ? $" (run {runner.RunId} in {reg.Path})" : ""));
            foreach (var s in runner.Steps.Values.Where(s => s.Status == StepStatus.Failed))
                Console.Out.WriteLine($"  {s.Name} failed (exit code {s.ExitCode}); log: {s.LogPath}");
            return ok ? 0 : 1;
        }));
        return cmd;
    }

    private static Command SplitVerb()
    {
        var input = new Option<string>("--input") { Required = true, Description = "Dataset file" };
        var testSize = new Option<double>("--test-size") { Required = true, Description = "Fraction in (0, 1) or a row count" };
        var seed = new Option<ulong>("--seed") { DefaultValueFactory = _ => 42UL, Description = "Shuffle seed" };
        var keepEmpty = new Option<string?>("--keep-empty") { Description = "Keep only rows whose COLUMN is empty (e.g. input)" };
        var maxRows = new Option<int>("--max-rows") { Description = "Use at most this many rows (0 = all)" };
        var output = new Option<string>("--out") { Required = true, Description = "Folder for train.jsonl and test.jsonl" };
        var cmd = new Command("split", "Seeded train/test split (HF train_test_split) → OUT/train.jsonl, OUT/test.jsonl");
        foreach (var o in new Option[] { input, testSize, seed, keepEmpty, maxRows, output }) cmd.Options.Add(o);
        cmd.SetAction(p => Guard(() =>
        {
            var (train, test) = SplitAction.Run(p.GetValue(input)!, p.GetValue(testSize), p.GetValue(seed), p.GetValue(output)!, p.GetValue(keepEmpty), p.GetValue(maxRows));
            Console.Out.WriteLine($"{train} train rows, {test} test rows → {p.GetValue(output)}");
            return 0;
        }));
        return cmd;
    }

    private static Command PredictVerb()
    {
        var model = new Option<string>("--model") { Required = true, Description = "Model folder" };
        var adapter = new Option<string?>("--adapter") { Description = "PEFT adapter folder (unmerged)" };
        var input = new Option<string>("--input") { Required = true, Description = "Dataset file" };
        var prompt = new Option<string>("--prompt") { DefaultValueFactory = _ => "alpaca", Description = "{field} template or 'alpaca'" };
        var reference = new Option<string>("--reference") { DefaultValueFactory = _ => "output", Description = "Column copied to 'reference'" };
        var format = new Option<string?>("--format") { Description = "Reserved (alpaca prompts are the default)" };
        var maxNew = new Option<int>("--max-new-tokens") { DefaultValueFactory = _ => 64 };
        var temperature = new Option<float>("--temperature");
        var topP = new Option<float>("--top-p") { DefaultValueFactory = _ => 1f };
        var topK = new Option<int>("--top-k");
        var seed = new Option<int?>("--seed");
        var stop = new Option<string[]>("--stop");
        var maxRows = new Option<int>("--max-rows");
        var batch = new Option<int>("--batch-size") { DefaultValueFactory = _ => 8 };
        var output = new Option<string>("--out") { Required = true, Description = "Folder for predictions.jsonl" };
        var cmd = new Command("predict", "Batched generation over a dataset → OUT/predictions.jsonl (question, prediction, reference)");
        foreach (var o in new Option[] { model, adapter, input, prompt, reference, format, maxNew, temperature, topP, topK, seed, stop, maxRows, batch, output }) cmd.Options.Add(o);
        cmd.SetAction(p => Guard(() =>
        {
            var gen = new GenerationOptions
            {
                MaxNewTokens = p.GetValue(maxNew), Temperature = p.GetValue(temperature), TopP = p.GetValue(topP), TopK = p.GetValue(topK),
                Seed = p.GetValue(seed), StopStrings = p.GetValue(stop) ?? [],
            };
            gen.Validate();
            int n = PredictAction.Run(new PredictOptions
            {
                Model = p.GetValue(model)!, Adapter = p.GetValue(adapter), Input = p.GetValue(input)!, Prompt = p.GetValue(prompt)!,
                Reference = p.GetValue(reference)!, MaxRows = p.GetValue(maxRows), BatchSize = p.GetValue(batch), Generation = gen,
            }, p.GetValue(output)!, s => Console.Error.WriteLine(s));
            Console.Out.WriteLine($"{n} predictions → {Path.Combine(p.GetValue(output)!, "predictions.jsonl")}");
            return 0;
        }));
        return cmd;
    }

    private static Command ServeCheckVerb()
    {
        var model = new Option<string>("--model") { Required = true };
        var adapter = new Option<string?>("--adapter");
        var prompt = new Option<string>("--prompt") { Required = true };
        var maxNew = new Option<int>("--max-new-tokens") { DefaultValueFactory = _ => 32 };
        var stop = new Option<string[]>("--stop");
        var output = new Option<string>("--out") { Required = true };
        var cmd = new Command("serve-check", "Start `tunesharp serve` on 127.0.0.1, send one chat request, write OUT/response.json, stop it");
        foreach (var o in new Option[] { model, adapter, prompt, maxNew, stop, output }) cmd.Options.Add(o);
        cmd.SetAction(p => Guard(() => ServeCheck.Run(ToolInfo.SelfCommand(), ToolInfo.Verbs(), p.GetValue(model)!, p.GetValue(adapter), p.GetValue(prompt)!,
            p.GetValue(maxNew), p.GetValue(stop) ?? [], p.GetValue(output)!, s => Console.Error.WriteLine(s))));
        return cmd;
    }

    /// <summary>Ctrl-C explains how to continue; every other failure goes to the one CLI error handler (Program).</summary>
    internal static int Guard(Func<int> body)
    {
        try { return body(); }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("interrupted; `pipeline run` again continues from the first unfinished step");
            return (int)ExitCode.Interrupted;
        }
    }

    internal static string F(double v) => v.ToString("0.####", CultureInfo.InvariantCulture);
}
