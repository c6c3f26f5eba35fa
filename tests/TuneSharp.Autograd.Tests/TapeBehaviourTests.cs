// Tape semantics: composite gradients, checkpointing bit-identity, frozen parameters, accumulation, freeing, no-grad mode.
using TuneSharp.Autograd;
using TuneSharp.Autograd.Ops;
using TuneSharp.Tensors;

namespace TuneSharp.Autograd.Tests;

public sealed class TapeBehaviourTests
{
    [Fact]
    public void TinyTransformer_FiniteDifferences()
    {
        using var model = new TinyTransformer();
        GradCheck.Check(t => model.Loss(t, checkpoint: false), model.Trainables, samples: 4);
    }

    [Fact]
    public void Checkpointed_IsBitIdenticalToPlain()
    {
        using var model = new TinyTransformer();
        var (lossA, gradsA) = Run(model, checkpoint: false, seed: 5);
        var (lossB, gradsB) = Run(model, checkpoint: true, seed: 5);
        Assert.Equal(BitConverter.SingleToInt32Bits(lossA), BitConverter.SingleToInt32Bits(lossB));
        for (int i = 0; i < gradsA.Length; i++)
            Assert.True(gradsA[i].AsSpan().SequenceEqual(gradsB[i]), $"gradient {model.Trainables[i].Name} differs");
        // A different dropout seed changes the result, so the comparison above is not vacuous.
        var (lossC, _) = Run(model, checkpoint: true, seed: 6);
        Assert.NotEqual(lossA, lossC);
    }

    [Fact]
    public void FrozenParameters_NeverGetGradientBuffers()
    {
        using var model = new TinyTransformer();
        Run(model, checkpoint: true, seed: 1);
        Run(model, checkpoint: false, seed: 1);
        Assert.NotEmpty(model.FrozenOnes);
        Assert.All(model.FrozenOnes, p => Assert.Null(p.Grad));
        Assert.All(model.Trainables, p => Assert.NotNull(p.Grad));
        Assert.Throws<ArgumentException>(() => model.FrozenOnes[0].RequiresGrad = true); // BF16 cannot train
    }

    [Fact]
    public void GradientsAccumulateAcrossBackwardCalls_UntilZeroed()
    {
        using var model = new TinyTransformer();
        var (_, once) = Run(model, checkpoint: false, seed: 2);
        foreach (var p in model.Trainables) p.ClearGrad();
        using (var tape = new Tape(2))
            tape.Backward(model.Loss(tape, checkpoint: false));
        using (var tape = new Tape(2))
            tape.Backward(model.Loss(tape, checkpoint: true));
        for (int i = 0; i < once.Length; i++)
        {
            var twice = model.Trainables[i].Grad!.ToFloatArray();
            var expected = once[i].Select(g => 2 * g).ToArray();
            TuneSharp.Testing.NumericAssert.Close(expected, twice, 1e-6, 1e-7, model.Trainables[i].Name!);
        }
        foreach (var p in model.Trainables) p.ZeroGrad();
        Assert.All(model.Trainables, p => Assert.All(p.Grad!.ToFloatArray(), g => Assert.Equal(0f, g)));
        foreach (var p in model.Trainables) p.ClearGrad();
    }

    [Fact]
    public void BackwardScale_ScalesGradients()
    {
        var x = GradCheck.Param("x", 1, 1f, 3, 4);
        var w = GradCheck.Param("w", 2, 1f, 5, 4);
        using (var tape = new Tape()) tape.Backward(tape.LmHeadCrossEntropy(x, Variable.Constant(w.Value), new[] { 1, 2, -100 }));
        var g1 = x.Grad!.ToFloatArray();
        x.ClearGrad();
        using (var tape = new Tape()) tape.Backward(tape.LmHeadCrossEntropy(x, Variable.Constant(w.Value), new[] { 1, 2, -100 }), 0.25f);
        TuneSharp.Testing.NumericAssert.Close(g1.Select(g => g * 0.25f).ToArray(), x.Grad!.ToFloatArray(), 1e-6, 1e-8, "scaled");
    }

    [Fact]
    public void Backward_FreesSavedTensorsActivationsAndIntermediateGradients()
    {
        using var model = new TinyTransformer();
        foreach (var p in model.Trainables) p.ClearGrad();
        long before = AutogradMemory.LiveBytes;
        long gradBytes = model.Trainables.Sum(p => p.Value.ByteLength);
        using (var tape = new Tape(3))
        {
            var loss = model.Loss(tape, checkpoint: false);
            long afterForward = AutogradMemory.LiveBytes;
            Assert.True(afterForward > before + 10_000, $"forward kept only {afterForward - before} bytes");
            Assert.True(tape.NodeCount > 40);
            AutogradMemory.ResetPeak();
            tape.Backward(loss);
            long peakBackward = AutogradMemory.PeakBytes;
            // Unsaved activations go when backward starts and each node's state right after it runs, so the backward
            // peak stays below "all forward activations + all parameter gradients".
            Assert.True(peakBackward < afterForward + gradBytes, $"backward peak {peakBackward - before} B, forward {afterForward - before} B, grads {gradBytes} B");
            Assert.Equal(0, tape.NodeCount);
            Assert.Equal(1, tape.OwnedCount);
            // Left alive: the trainable gradients and the loss scalar, nothing else.
            Assert.Equal(before + gradBytes + sizeof(float), AutogradMemory.LiveBytes);
            Assert.True(float.IsFinite(loss.Item()));
        }
        Assert.Equal(before + gradBytes, AutogradMemory.LiveBytes);
        foreach (var p in model.Trainables) p.ClearGrad();
        Assert.Equal(before, AutogradMemory.LiveBytes);
    }

    [Fact]
    public void Checkpointing_LowersForwardPeakMemory()
    {
        using var model = new TinyTransformer();
        long Peak(bool checkpoint)
        {
            long start = AutogradMemory.LiveBytes;
            AutogradMemory.ResetPeak();
            using var tape = new Tape(3);
            var loss = model.Loss(tape, checkpoint);
            long peakForward = AutogradMemory.PeakBytes - start;
            tape.Backward(loss);
            return peakForward;
        }
        long plain = Peak(false), checkpointed = Peak(true);
        foreach (var p in model.Trainables) p.ClearGrad();
        // Two layers: the checkpointed forward holds about one layer's activations at a time instead of both.
        Assert.True(checkpointed * 10 < plain * 6, $"checkpointed forward peak {checkpointed} B vs plain {plain} B");
    }

    [Fact]
    public void Reset_WithoutBackward_FreesEverything()
    {
        using var model = new TinyTransformer();
        long before = AutogradMemory.LiveBytes;
        using (var tape = new Tape())
        {
            model.Loss(tape, checkpoint: false);
            tape.Reset();
            Assert.Equal(0, tape.NodeCount);
        }
        Assert.Equal(before, AutogradMemory.LiveBytes);
    }

    [Fact]
    public void NoGrad_RecordsAndKeepsNothing()
    {
        using var model = new TinyTransformer();
        float gradLoss;
        using (var tape = new Tape(4))
        {
            var l = model.Loss(tape, checkpoint: false);
            gradLoss = l.Item();
            tape.Reset();
        }
        long before = AutogradMemory.LiveBytes;
        using var t = new Tape(4);
        Variable loss;
        using (t.NoGrad()) loss = model.Loss(t, checkpoint: true);
        Assert.True(t.GradEnabled);
        Assert.Equal(0, t.NodeCount);
        Assert.False(loss.RequiresGrad);
        Assert.Equal(gradLoss, loss.Item());
        Assert.All(model.Trainables, p => Assert.Null(p.Grad));
        Assert.Throws<InvalidOperationException>(() => t.Backward(loss));
        t.Reset();
        Assert.Equal(before, AutogradMemory.LiveBytes);
    }

    [Fact]
    public void NoGrad_CheckpointAndRelease_BoundInferenceMemory()
    {
        using var model = new TinyTransformer();
        long before = AutogradMemory.LiveBytes;
        using var tape = new Tape();
        using (tape.NoGrad())
        {
            var x = tape.Scale(GradCheck.Param("x", 1, 1f, 64, 64), 1f);
            long one = AutogradMemory.LiveBytes - before;
            // In no-grad mode Checkpoint is a scope: the block's intermediates are gone when it returns.
            var y = tape.Checkpoint((t, v) => t.Scale(t.Mul(t.Add(v, v), v), 0.5f), x);
            Assert.Equal(2 * one, AutogradMemory.LiveBytes - before);
            tape.Release(x);
            Assert.Equal(one, AutogradMemory.LiveBytes - before);
            Assert.False(y.RequiresGrad);
        }
        tape.Reset();
        Assert.Equal(before, AutogradMemory.LiveBytes);
    }

    [Fact]
    public void ReleasedIntermediate_ThrowsClearly()
    {
        var x = GradCheck.Param("x", 1, 1f, 2, 3);
        using var tape = new Tape();
        var y = tape.Scale(x, 2f, name: "doubled");
        var z = tape.Mul(y, y);
        tape.Backward(z);
        var e = Assert.Throws<InvalidOperationException>(() => y.Value);
        Assert.Contains("doubled", e.Message);
        Assert.Equal(8 * x.Value.Span[0], x.Grad!.Span[0], 5); // d(2x)²/dx = 8x
    }

    [Fact]
    public void Checkpoint_BlockReturningItsInput_PassesGradientThrough()
    {
        var x = GradCheck.Param("x", 1, 1f, 4);
        using var tape = new Tape();
        var y = tape.Checkpoint((t, v) => v, tape.Scale(x, 3f));
        tape.Backward(tape.Mul(y, y));
        Assert.Equal(2 * 9 * x.Value.Span[1], x.Grad!.Span[1], 5);
    }

    /// <summary>One forward/backward from cleared gradients; the gradients stay in the parameters.</summary>
    private static (float Loss, float[][] Grads) Run(TinyTransformer model, bool checkpoint, ulong seed)
    {
        foreach (var p in model.Trainables) p.ClearGrad();
        using var tape = new Tape(seed);
        var loss = model.Loss(tape, checkpoint);
        tape.Backward(loss);
        return (loss.Item(), model.Trainables.Select(p => p.Grad!.ToFloatArray()).ToArray());
    }
}
