using TuneSharp.Inference;
using TuneSharp.Training.Runs;

var model = "../shared/assets/models/tinystories-656k";
using (var run = FineTuneRun.Create(model).Data("examples/csharp-api/stories.jsonl", format: "completion").Lora(r: 8, alpha: 16)
    .Training(t => { t.OutputDir = "outputs/csharp-api"; t.MaxSteps = 20; t.LearningRate = 3e-3; }).Build())
{
    run.Train();
    run.SaveAdapter("outputs/csharp-api/adapter");
}
var generator = Generator.FromPretrained(model);
generator.LoadAdapter("outputs/csharp-api/adapter");
Console.WriteLine("Tom had a red ball" + generator.Generate("Tom had a red ball", new GenerationOptions { MaxNewTokens = 24 }).Text);
