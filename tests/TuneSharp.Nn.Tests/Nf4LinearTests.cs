// QLoRA base path: the NF4 linear op against the dequantized-weight linear, backward dx, memory, LoRA on top.
using TuneSharp.Autograd;
using TuneSharp.Autograd.Ops;
using TuneSharp.Nn.Lora;
using TuneSharp.Tensors;
using TuneSharp.Tensors.Kernels;
using TuneSharp.Tensors.Kernels.Quant;
using TuneSharp.Testing;
using static TuneSharp.Nn.Tests.LoraTestUtil;

namespace TuneSharp.Nn.Tests;

public sealed class Nf4LinearTests
{
    [Theory]
    [InlineData(48, 128, 5, false)]
    [InlineData(72, 40, 9, true)]    // rows of 40: blocks straddle rows, like bnb's flattened quantization
    [InlineData(33, 70, 64, true)]   // odd rows × even cols; many rows take the packed path
    [InlineData(130, 256, 3, false)]
    [InlineData(34, 33, 12, false)]  // odd row length: rows start mid-byte
    [InlineData(10, 97, 2, true)]
    public void ForwardAndBackwardMatchDequantizedWeight(int outF, int inF, int m, bool doubleQuant)
    {
        var w = Random(outF * inF, outF + inF, 0.5f);
        var q = Nf4Matrix.Quantize(w, outF, inF, doubleQuant);
        using var deq = q.DequantizeToTensor();

        // Reference dequantization through the quant kernels (flattened blocks).
        var packed = new byte[outF * inF / 2];
        var absmax = new float[Nf4.BlockCount(outF * inF)];
        Nf4.Quantize(w, packed, absmax);
        if (doubleQuant)
        {
            var qa = new byte[absmax.Length];
            var a2 = new float[(absmax.Length + 255) / 256];
            float off = Nf4.QuantizeAbsmax(absmax, qa, a2);
            Nf4.DequantizeAbsmax(qa, a2, off, absmax);
        }
        var expectW = new float[outF * inF];
        Nf4.Dequantize(packed, absmax, expectW);
        Assert.Equal(expectW, deq.ToFloatArray());

        var x = Random(m * inF, 77);
        var dy = Random(m * outF, 78);
        float[] Fwd(bool nf4, out float[] dx)
        {
            using var tape = new Tape();
            var xv = Variable.Parameter(Tensor.FromArray(x, m, inF), trainable: true, "x");
            var y = nf4 ? tape.LinearNf4(xv, q) : tape.Linear(xv, Variable.Constant(deq));
            var yv = y.Value.ToFloatArray();
            tape.Backward(y, dy);
            dx = xv.Grad!.ToFloatArray();
            return yv;
        }
        var yq = Fwd(true, out var dxq);
        var yd = Fwd(false, out var dxd);
        NumericAssert.Close(yd, yq, Tolerances.MatMulRtol, Tolerances.MatMulAtol, "NF4 linear forward");
        NumericAssert.Close(dxd, dxq, Tolerances.MatMulRtol, Tolerances.MatMulAtol, "NF4 linear dx");
    }

    [Fact]
    public void ResidentBytesAtMostPointThreeOfBf16()
    {
        var w = Random(256 * 512, 1);
        var plain = Nf4Matrix.Quantize(w, 256, 512, doubleQuant: false);
        var dq = Nf4Matrix.Quantize(w, 256, 512, doubleQuant: true);
        long bf16 = 256L * 512 * 2;
        Assert.True(plain.ResidentBytes <= 0.3 * bf16, $"NF4 {plain.ResidentBytes} B vs BF16 {bf16} B");
        Assert.True(dq.ResidentBytes < plain.ResidentBytes);
        Assert.True(dq.ResidentBytes <= 0.27 * bf16, $"NF4+DQ {dq.ResidentBytes} B vs BF16 {bf16} B");
    }

    [Fact]
    public void QloraTrainsAdapterThroughNf4BaseAndMerges()
    {
        var model = TinyModel(dtype: DType.BF16);
        var lora = LoraModel.Inject(model, new LoraConfig { R = 4, LoraAlpha = 8, TargetModules = ["q_proj", "down_proj"] }, seed: 1);
        var layer = lora.AdaptedLayers[0];
        using var dense = layer.Weight.Value.To(DType.F32);
        long bytes = LoraModel.QuantizeBaseWeights(lora.AdaptedLayers, doubleQuant: true);
        Assert.True(bytes <= 0.3 * lora.AdaptedLayers.Sum(l => 2L * l.InFeatures * l.OutFeatures));
        Assert.NotNull(layer.QuantizedWeight);
        Assert.Equal(16, layer.InFeatures);
        FillRandom(layer.Lora!.B, 3, 0.2f);
        var x = Random(4 * 16, 5);
        var y = Run(layer, x, 4);
        // Same as the dequantized base + LoRA side path.
        using var deq = layer.QuantizedWeight!.DequantizeToTensor();
        float[] expected;
        using (var tape = new Tape())
        {
            var xv = Variable.Constant(Tensor.FromArray(x, 4, 16));
            expected = tape.Add(tape.Linear(xv, Variable.Constant(deq)), layer.Lora.Forward(tape, xv)).Value.ToFloatArray();
        }
        NumericAssert.Close(expected, y, 1e-5, 1e-6, "QLoRA forward");
        // Gradients reach A and B through the NF4 base.
        using (var tape = new Tape())
        {
            var xv = Variable.Constant(Tensor.FromArray(x, 4, 16));
            var o = layer.Forward(tape, xv);
            tape.Backward(o, Random(4 * 16, 6));
        }
        Assert.NotNull(layer.Lora.A.Grad);
        Assert.NotNull(layer.Lora.B.Grad);
        lora.Merge();
        Assert.Null(layer.QuantizedWeight);
        NumericAssert.Close(y, Run(layer, x, 4), 1e-4, 1e-5, "merged QLoRA");
        lora.Unmerge();
        Assert.NotNull(layer.QuantizedWeight);
        Assert.Equal(y, Run(layer, x, 4));
    }
}
