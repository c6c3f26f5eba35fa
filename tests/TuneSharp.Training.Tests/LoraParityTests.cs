// PyTorch parity (tests/golden/gen_lora.py): LoRA, full fine-tuning and 8-bit AdamW training of the tiny Llama,
// driven by a minimal loop written here (forward via CausalLM.Loss, backward with 1/GA, clip, step).
using System.Text.Json;
using TuneSharp.Autograd;
using TuneSharp.Models;
using TuneSharp.Nn.Optim;
using TuneSharp.Nn.Peft;
using TuneSharp.Tensors.IO;
using TuneSharp.Testing;

namespace TuneSharp.Training.Tests;

public sealed class LoraParityTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const double LossRtol = 1e-4, WeightRtol = 1e-3, WeightAtol = 1e-5;

    private sealed record Expected(double[] Losses, double[] GradNorms, JsonElement Config);

    private static Expected ReadExpected(string folder)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "expected.json")));
        var root = doc.RootElement;
        return new(root.GetProperty("losses").EnumerateArray().Select(e => e.GetDouble()).ToArray(),
            root.GetProperty("grad_norms").EnumerateArray().Select(e => e.GetDouble()).ToArray(), root.GetProperty("config").Clone());
    }

    private static List<(int[] Ids, int[] Labels)> ReadRows(string folder) =>
        File.ReadLines(Path.Combine(folder, "data.jsonl")).Where(l => l.Length > 0).Select(l =>
        {
            using var d = JsonDocument.Parse(l);
            return (d.RootElement.GetProperty("input_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
                d.RootElement.GetProperty("labels").EnumerateArray().Select(e => e.GetInt32()).ToArray());
        }).ToList();

    /// <summary>HF-style loop: per step GA micro-batches, loss/GA backward, clip, optimizer step. Returns (losses, norms).</summary>
    private static (double[] Losses, double[] Norms) Train(CausalLM model, Optimizer opt, List<(int[] Ids, int[] Labels)> rows, int steps, int micro, int ga, double maxNorm)
    {
        var losses = new double[steps];
        var norms = new double[steps];
        int next = 0;
        for (int step = 0; step < steps; step++)
        {
            opt.ZeroGrad();
            double sum = 0;
            for (int k = 0; k < ga; k++)
            {
                var chunk = rows.Skip(next).Take(micro).ToList();
                next += micro;
                var ids = chunk.SelectMany(r => r.Ids).ToArray();
                var labels = chunk.SelectMany(r => r.Labels).ToArray();
                using var input = CausalLMInput.Create(ids, micro);
                using var tape = new Tape();
                var loss = model.Loss(tape, input, labels);
                sum += loss.Item();
                tape.Backward(loss, 1f / ga);
            }
            losses[step] = sum / ga;
            norms[step] = opt.ClipGradNorm(maxNorm);
            opt.Step();
        }
        return (losses, norms);
    }

    private static double MaxRel(double[] e, double[] a) => e.Zip(a).Max(p => Math.Abs(p.First - p.Second) / Math.Max(1e-12, Math.Abs(p.First)));

    private void CheckCurves(Expected exp, (double[] Losses, double[] Norms) got, string what)
    {
        output.WriteLine($"{what}: max rel loss diff {MaxRel(exp.Losses, got.Losses):E2}, grad norm {MaxRel(exp.GradNorms, got.Norms):E2}");
        NumericAssert.Close(exp.Losses, got.Losses, LossRtol, 0, $"{what} per-step losses");
        NumericAssert.Close(exp.GradNorms, got.Norms, 1e-3, 1e-6, $"{what} per-step grad norms");
    }

    private void CheckWeights(string folder, IEnumerable<(string Name, Variable Parameter)> parameters, string what)
    {
        using var f = SafeTensorsFile.Open(Path.Combine(folder, "final.safetensors"));
        int n = 0;
        double worst = 0;
        foreach (var (name, p) in parameters)
        {
            using var t = f.GetTensor(name);
            var e = t.ToFloatArray();
            var a = p.Value.ToFloatArray();
            for (int i = 0; i < e.Length; i++) worst = Math.Max(worst, Math.Abs(e[i] - a[i]) / (WeightAtol / WeightRtol + Math.Abs(e[i])));
            NumericAssert.Close(t.ToFloatArray(), p.Value.ToFloatArray(), WeightRtol, WeightAtol, $"{what}: final {name}");
            n++;
        }
        output.WriteLine($"{what}: max weight error |Δ|/(|w| + 0.01) = {worst:E2}");
        Assert.Equal(f.Count, n);
    }

    private static CausalLM LoadTinyLlama() => CausalLM.FromPretrained(SharedAssets.Golden("models/llama_gqa/model"));

    [Fact]
    public void LoraTrainingMatchesPyTorch()
    {
        string folder = SharedAssets.Golden("lora/lora");
        var exp = ReadExpected(folder);
        using var model = LoadTinyLlama();
        var frozen = model.NamedParameters().Select(p => p.Parameter.Value.AsBytes().ToArray()).ToList();
        var linears = model.Linears.Select(l => (l.Name, l)).Append(("lm_head", model.LmHead));
        var lora = PeftAdapter.Load(Path.Combine(folder, "init_adapter"), linears, ["model.embed_tokens"]);
        Assert.Equal(14, lora.AdaptedLayers.Count);
        var opt = new AdamWOptimizer(lora.TrainableParameters(), new OptimizerOptions
        {
            LearningRate = exp.Config.GetProperty("learning_rate").GetDouble(),
            WeightDecay = exp.Config.GetProperty("weight_decay").GetDouble(),
        });
        var got = Train(model, opt, ReadRows(folder), 10, 2, 2, exp.Config.GetProperty("max_grad_norm").GetDouble());
        CheckCurves(exp, got, "LoRA");
        CheckWeights(folder, lora.TrainableParameters(), "LoRA");
        // Frozen base weights are bit-identical after training.
        var after = model.NamedParameters().Select(p => p.Parameter.Value.AsBytes().ToArray()).ToList();
        for (int i = 0; i < frozen.Count; i++) Assert.Equal(frozen[i], after[i]);
    }

    [Theory]
    [InlineData("full")]
    [InlineData("full_8bit")]
    public void FullFineTuningMatchesPyTorch(string name)
    {
        string folder = SharedAssets.Golden("lora/" + name);
        var exp = ReadExpected(folder);
        using var model = LoadTinyLlama();
        model.MakeAllTrainable();
        var parameters = model.NamedParameters().ToList();
        var opt = OptimizerFactory.Create(exp.Config.GetProperty("optim").GetString()!, parameters, new OptimizerOptions
        {
            LearningRate = exp.Config.GetProperty("learning_rate").GetDouble(),
            WeightDecay = exp.Config.GetProperty("weight_decay").GetDouble(),
        });
        var got = Train(model, opt, ReadRows(folder), 4, 2, 2, exp.Config.GetProperty("max_grad_norm").GetDouble());
        CheckCurves(exp, got, name);
        CheckWeights(folder, parameters, name);
    }
}
