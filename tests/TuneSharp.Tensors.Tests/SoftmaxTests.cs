// Softmax / log-softmax kernels vs the scalar twin (odd shapes), finite differences and PyTorch.
using TuneSharp.Tensors.Kernels;
using TuneSharp.Tensors.Kernels.Reference;
using TuneSharp.Testing;
using static TuneSharp.Tensors.Tests.ElementwiseTestData;
using static TuneSharp.Testing.Widening;

namespace TuneSharp.Tensors.Tests;

public sealed class SoftmaxTests
{
    [Fact]
    public void MatchesTwinForOddShapes()
    {
        foreach (int rows in new[] { 1, 2, 3, 5, 7, 300 })
            foreach (int cols in OddCols)
            {
                if (rows == 300 && cols < 127) continue; // 300 rows only to exercise the parallel split
                var rng = new Random(rows * 1000 + cols);
                int n = rows * cols;
                float[] x = Randn(rng, n, 4.0), dy = Randn(rng, n), e = new float[n], a = new float[n];
                SoftmaxReference.Forward<float>(x, e, rows, cols);
                Softmax.Forward(x, a, rows, cols);
                NumericAssert.Close(e, a, Tolerances.MatMulRtol, Tolerances.MatMulAtol, $"softmax {rows}x{cols}");

                SoftmaxReference.LogSoftmax<float>(x, e, rows, cols);
                Softmax.LogSoftmax(x, a, rows, cols);
                NumericAssert.Close(e, a, Tolerances.MatMulRtol, Tolerances.MatMulAtol, $"log_softmax {rows}x{cols}");

                var y = new float[n];
                Softmax.Forward(x, y, rows, cols);
                SoftmaxReference.Backward<float>(y, dy, e, rows, cols);
                Softmax.Backward(y, dy, a, rows, cols);
                NumericAssert.Close(e, a, Tolerances.MatMulRtol, Tolerances.MatMulAtol, $"softmax backward {rows}x{cols}");
            }
    }

    [Fact]
    public void StableForHugeLogitsAndNaNForAllMinusInfinityRow()
    {
        float[] x = [1000f, 999f, -1000f, float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity];
        var y = new float[6];
        Softmax.Forward(x, y, 2, 3);
        Assert.Equal(1f / (1f + MathF.Exp(-1f)), y[0], 6);
        Assert.Equal(0f, y[2]);
        Assert.True(float.IsNaN(y[3]) && float.IsNaN(y[5]), "a row of −∞ gives NaN like torch");
        // In place.
        float[] z = [1f, 2f, 3f];
        Softmax.Forward(z, z, 1, 3);
        Assert.Equal(1f, z.Sum(), 6);
        Assert.Throws<ArgumentException>(() => Softmax.Forward(new float[5], new float[6], 2, 3));
    }

    [Fact]
    public void GradientMatchesFiniteDifferences()
    {
        const int rows = 3, cols = 9;
        var rng = new Random(3);
        double[] x = ToDouble(Randn(rng, rows * cols, 2.0)), w = ToDouble(Randn(rng, rows * cols));
        var y = new double[rows * cols];
        double Loss()
        {
            SoftmaxReference.Forward<double>(x, y, rows, cols);
            return Dot(y, w);
        }
        var numeric = NumericGrad(x, Loss);
        Loss();
        var dx = new double[rows * cols];
        SoftmaxReference.Backward<double>(y, w, dx, rows, cols);
        NumericAssert.GradClose(numeric, dx, "softmax dx");
    }

    [Fact]
    public void MatchesTorch()
    {
        var f = GoldenFixture.Load("ops/softmax_rows.json");
        int rows = f.Int("rows"), cols = f.Int("cols");
        float[] x = f["x"].AsFloats(), g = f["grad_out"].AsFloats(), y = new float[x.Length], dx = new float[x.Length];
        Softmax.Forward(x, y, rows, cols);
        Softmax.Backward(y, g, dx, rows, cols);
        NumericAssert.Close(f["out"].AsFloats(), y, Tolerances.TorchForwardRtol, Tolerances.TorchForwardAtol, "softmax out");
        NumericAssert.Close(f["grad_x"].AsFloats(), dx, Tolerances.TorchGradRtol, Tolerances.TorchGradAtol, "softmax grad_x");

        var l = GoldenFixture.Load("ops/log_softmax_rows.json");
        float[] lx = l["x"].AsFloats(), ly = new float[lx.Length];
        Softmax.LogSoftmax(lx, ly, l.Int("rows"), l.Int("cols"));
        NumericAssert.Close(l["out"].AsFloats(), ly, Tolerances.TorchForwardRtol, Tolerances.TorchForwardAtol, "log_softmax out");
    }
}
