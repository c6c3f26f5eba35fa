// LoRA on lm_head: the fused LM-head loss must see W + scaling·B·A, and gradients must reach A and B.
using TuneSharp.Autograd;
using TuneSharp.Nn.Lora;
using TuneSharp.Testing;

namespace TuneSharp.Models.Tests;

public sealed class LmHeadLoraTests
{
    [Fact]
    public void UnmergedLmHeadLoraMatchesMergedLossAndGetsGradients()
    {
        using var m = CausalLM.FromPretrained(SharedAssets.Golden(Path.Combine("models", "llama_gqa", "model")));
        var lora = LoraModel.Inject([("lm_head", m.LmHead)], new LoraConfig { R = 2, LoraAlpha = 4, TargetModules = ["lm_head"] }, seed: 3);
        var adapter = m.LmHead.Lora!;
        var b = adapter.B.Value.Span;
        for (int i = 0; i < b.Length; i++) b[i] = 0.01f * ((i * 7919 % 13) - 6);
        int v = m.Config.VocabSize, t = 7;
        var ids = Enumerable.Range(0, t).Select(i => (i * 31 + 3) % v).ToArray();
        float unmerged;
        using (var tape = new Tape())
        using (var input = CausalLMInput.Create(ids, 1))
        {
            var loss = m.Loss(tape, input, ids);
            unmerged = loss.Item();
            tape.Backward(loss);
        }
        Assert.NotNull(adapter.A.Grad);
        Assert.NotNull(adapter.B.Grad);
        Assert.Contains(adapter.B.Grad!.ToFloatArray(), g => g != 0f);
        lora.Merge();
        using (var tape = new Tape())
        using (var input = CausalLMInput.Create(ids, 1))
        {
            using var _ = tape.NoGrad();
            var merged = m.Loss(tape, input, ids).Item();
            NumericAssert.Close([merged], [unmerged], 1e-5, 1e-6, "lm_head LoRA loss, merged vs unmerged");
        }
    }
}
