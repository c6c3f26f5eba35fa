// Every architecture against the plain-torch reference (tests/golden/gen_models.py): logits, loss, every gradient,
// padded batches, and the KV-cache path against the training path.
using TuneSharp.Autograd;
using TuneSharp.Testing;

namespace TuneSharp.Models.Tests;

public sealed class ModelGoldenTests
{
    public static TheoryData<string> Variants => new() { "llama_gqa", "llama3_tied_bias", "mistral_swa", "qwen2_tied", "qwen3", "gemma", "gemma2" };

    private static (int[] Ids, int[] Labels, int[] Mask, int Batch) Case(ModelFixture f, bool padded)
    {
        var m = padded ? f.Meta.GetProperty("padded") : f.Meta;
        var ids = ModelFixture.Flat(m.GetProperty("input_ids"));
        var labels = ModelFixture.Flat(m.GetProperty("labels"));
        var mask = padded ? ModelFixture.Flat(m.GetProperty("attention_mask")) : [];
        return (ids, labels, mask, ModelFixture.Rows(m.GetProperty("input_ids")));
    }

    /// <summary>Compares logits rows where the mask is 1 (pad-query rows are implementation-defined).</summary>
    private static void LogitsClose(float[] expected, float[] actual, int[] mask, int vocab, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int r = 0; r < expected.Length / vocab; r++)
        {
            if (mask.Length > 0 && mask[r] == 0) continue;
            NumericAssert.Close(expected.AsSpan(r * vocab, vocab), actual.AsSpan(r * vocab, vocab), Tolerances.TorchForwardRtol, Tolerances.TorchForwardAtol, $"{what} row {r}");
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void LogitsAndLoss_MatchTorch(string variant)
    {
        using var f = new ModelFixture(variant);
        using var model = CausalLM.FromPretrained(f.ModelFolder);
        foreach (bool padded in new[] { false, true })
        {
            var (ids, labels, mask, batch) = Case(f, padded);
            using var input = CausalLMInput.Create(ids, batch, mask);
            var logits = model.ComputeLogits(input);
            LogitsClose(f.Expected(padded ? "padded.logits" : "logits"), logits, mask, model.Config.VocabSize, $"{variant} logits{(padded ? " (padded)" : "")}");
            using var tape = new Tape();
            using (tape.NoGrad())
            {
                float loss = model.Loss(tape, input, labels).Item();
                float expected = (padded ? f.Meta.GetProperty("padded") : f.Meta).GetProperty("loss").GetSingle();
                NumericAssert.Close([expected], [loss], Tolerances.TorchForwardRtol, Tolerances.TorchForwardAtol, $"{variant} loss");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void EveryGradient_MatchesTorch(string variant)
    {
        using var f = new ModelFixture(variant);
        using var model = CausalLM.FromPretrained(f.ModelFolder);
        model.MakeAllTrainable();
        foreach (bool padded in new[] { false, true })
        {
            var (ids, labels, mask, batch) = Case(f, padded);
            model.GradientCheckpointing = padded; // the padded case also runs through tape.Checkpoint
            foreach (var (_, p) in model.NamedParameters()) p.ClearGrad();
            using var input = CausalLMInput.Create(ids, batch, mask);
            using var tape = new Tape();
            var loss = model.Loss(tape, input, labels);
            tape.Backward(loss);
            int count = 0;
            foreach (var (name, p) in model.NamedParameters())
            {
                var key = (padded ? "padded.grad." : "grad.") + name;
                Assert.True(f.Has(key), $"{variant}: fixture lacks {key}");
                Assert.NotNull(p.Grad);
                NumericAssert.Close(f.Expected(key), p.Grad!.Span, Tolerances.TorchGradRtol, Tolerances.TorchGradAtol, $"{variant} {key}");
                count++;
            }
            Assert.Equal(f.Meta.GetProperty("parameters").EnumerateObject().Count(p => !(model.TiedEmbeddings && p.Name == "lm_head.weight")), count);
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void KvCache_MatchesTrainingPath(string variant)
    {
        using var f = new ModelFixture(variant);
        using var model = CausalLM.FromPretrained(f.ModelFolder);
        int v = model.Config.VocabSize;
        foreach (bool padded in new[] { false, true })
        {
            var (ids, _, mask, batch) = Case(f, padded);
            int t = ids.Length / batch;
            using var input = CausalLMInput.Create(ids, batch, mask);
            var reference = model.ComputeLogits(input);

            // One prefill of the whole sequence, every position's logits.
            var cache = model.CreateCache(batch, t + 2);
            var all = new float[ids.Length * v];
            model.Forward(cache, ids, mask, all, allPositions: true);
            LogitsClose(reference, all, mask, v, $"{variant} prefill vs training");

            // Prefill 3 tokens, then one token per step: last-position logits after each step.
            cache = model.CreateCache(batch, t);
            var step = new float[batch * v];
            int pre = 3;
            var pIds = new int[batch * pre];
            var pMask = new int[batch * pre];
            for (int b = 0; b < batch; b++)
                for (int i = 0; i < pre; i++)
                {
                    pIds[b * pre + i] = ids[b * t + i];
                    pMask[b * pre + i] = mask.Length > 0 ? mask[b * t + i] : 1;
                }
            model.Forward(cache, pIds, pMask, step);
            for (int i = pre; i < t; i++)
            {
                var sIds = new int[batch];
                var sMask = new int[batch];
                for (int b = 0; b < batch; b++) { sIds[b] = ids[b * t + i]; sMask[b] = mask.Length > 0 ? mask[b * t + i] : 1; }
                model.Forward(cache, sIds, sMask, step);
                for (int b = 0; b < batch; b++)
                {
                    if (sMask[b] == 0) continue;
                    NumericAssert.Close(all.AsSpan((b * t + i) * v, v), step.AsSpan(b * v, v), 1e-5, 1e-5, $"{variant} decode step {i} row {b}");
                }
            }
        }
    }
}
