// Nn.Linear with a GGUF weight kept quantized (Linear.GgmlWeight): inference output ≈ the dequantized weight's, and no gradient path.
using TuneSharp.Autograd;
using TuneSharp.Nn;
using TuneSharp.Tensors;
using TuneSharp.Tensors.IO.Gguf;
using TuneSharp.Tensors.Kernels.Quant;

namespace TuneSharp.Export.Tests;

public sealed class GgmlLinearTests
{
    [Theory]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q4_K)]
    public void QuantizedForward_MatchesDequantizedWeight(GgmlType type)
    {
        const int n = 24, k = 256, m = 5;
        var rng = new Random(3);
        var w = new float[n * k];
        for (int i = 0; i < w.Length; i++) w[i] = (rng.NextSingle() - 0.5f) * 0.2f;
        var bytes = new byte[GgmlQuant.ByteCount(type, w.Length)];
        GgmlQuant.Quantize(type, w, bytes);
        var deq = new float[w.Length];
        GgmlQuant.Dequantize(type, bytes, deq);
        var x = new float[m * k];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextSingle() * 2 - 1;

        var plain = new Linear("p", Variable.Parameter(Tensor.FromArray(deq, n, k), trainable: false, "p.weight"));
        var quant = new Linear("q", Variable.Parameter(Tensor.FromArray(deq, n, k), trainable: false, "q.weight")) { GgmlWeight = new GgmlQuantMatrix(type, n, k, bytes) };
        using var tape = new Tape();
        using var _ = tape.NoGrad();
        var xv = Variable.Constant(Tensor.FromArray(x, m, k));
        var a = plain.Forward(tape, xv).Value.ToFloatArray();
        var b = quant.Forward(tape, xv).Value.ToFloatArray();
        double err = 0, norm = 0;
        for (int i = 0; i < a.Length; i++) { err += (a[i] - b[i]) * (double)(a[i] - b[i]); norm += a[i] * (double)a[i]; }
        Assert.True(Math.Sqrt(err / norm) < 0.02, $"{type}: relative error {Math.Sqrt(err / norm)}");
    }
}
