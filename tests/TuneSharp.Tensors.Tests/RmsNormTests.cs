// RMSNorm kernel (Llama and Gemma forms) vs the scalar twin, finite differences (dx, dweight) and PyTorch.
using TuneSharp.Tensors.Kernels;
using TuneSharp.Tensors.Kernels.Reference;
using TuneSharp.Testing;
using static TuneSharp.Tensors.Tests.ElementwiseTestData;
using static TuneSharp.Testing.Widening;

namespace TuneSharp.Tensors.Tests;

public sealed class RmsNormTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MatchesTwinForOddShapes(bool addOne)
    {
        var shapes = new List<(int Rows, int Cols)>();
        foreach (int rows in new[] { 1, 2, 3, 4, 5, 6, 7 })
            foreach (int cols in OddCols) shapes.Add((rows, cols));
        shapes.Add((300, 256)); // parallel split over rows and column blocks
        foreach (var (rows, cols) in shapes)
        {
            var rng = new Random(rows * 1000 + cols);
            int n = rows * cols;
            float[] x = Randn(rng, n, 2.0), w = Randn(rng, cols, 0.5), dy = Randn(rng, n);
            float[] ye = new float[n], ya = new float[n], re = new float[rows], ra = new float[rows];
            RmsNormReference.Forward<float>(x, w, ye, re, rows, cols, 1e-5f, addOne);
            RmsNorm.Forward(x, w, ya, ra, rows, cols, 1e-5f, addOne);
            string what = $"{rows}x{cols} addOne={addOne}";
            NumericAssert.Close(re, ra, Tolerances.MatMulRtol, Tolerances.MatMulAtol, "rstd " + what);
            NumericAssert.Close(ye, ya, Tolerances.MatMulRtol, Tolerances.MatMulAtol, "y " + what);

            float[] dxe = new float[n], dxa = new float[n];
            float[] dwe = Randn(new Random(7), cols), dwa = (float[])dwe.Clone(); // dweight accumulates onto this
            RmsNormReference.Backward<float>(dy, x, w, ra, dxe, dwe, rows, cols, addOne);
            RmsNorm.Backward(dy, x, w, ra, dxa, dwa, rows, cols, addOne);
            NumericAssert.Close(dxe, dxa, Tolerances.MatMulRtol, Tolerances.MatMulAtol, "dx " + what);
            NumericAssert.Close(dwe, dwa, Tolerances.MatMulRtol, Tolerances.MatMulAtol, "dweight " + what);

            // Frozen weight: empty dweight; dx written into dy's buffer (allowed alias).
            var dyCopy = (float[])dy.Clone();
            RmsNorm.Backward(dyCopy, x, w, ra, dyCopy, Span<float>.Empty, rows, cols, addOne);
            NumericAssert.Close(dxa, dyCopy, 0, 0, "dx in place " + what);
        }
    }

    [Fact]
    public void ForwardInPlaceAndWithoutSavedRstd()
    {
        var rng = new Random(9);
        float[] x = Randn(rng, 3 * 65), w = Randn(rng, 65), y = new float[3 * 65];
        RmsNorm.Forward(x, w, y, new float[3], 3, 65, 1e-6f);
        RmsNorm.Forward(x, w, x, Span<float>.Empty, 3, 65, 1e-6f);
        NumericAssert.Close(y, x, 0, 0, "in place");
        var ex = Assert.Throws<ArgumentException>(() => RmsNorm.Forward(new float[10], new float[4], new float[10], new float[2], 2, 5, 1e-6f));
        Assert.Contains("weight", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => RmsNorm.Backward(new float[10], new float[10], new float[5], new float[3], new float[10], new float[5], 2, 5));
        Assert.Contains("rstd", ex.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void GradientsMatchFiniteDifferences(bool addOne)
    {
        const int rows = 3, cols = 7;
        var rng = new Random(addOne ? 21 : 20);
        double[] x = ToDouble(Randn(rng, rows * cols, 1.5)), w = ToDouble(Randn(rng, cols, 0.7)), g = ToDouble(Randn(rng, rows * cols));
        var y = new double[rows * cols];
        var rstd = new double[rows];
        double Loss()
        {
            RmsNormReference.Forward<double>(x, w, y, rstd, rows, cols, 1e-5, addOne);
            return Dot(y, g);
        }
        var nx = NumericGrad(x, Loss);
        var nw = NumericGrad(w, Loss);
        Loss();
        var dx = new double[rows * cols];
        var dw = new double[cols];
        RmsNormReference.Backward<double>(g, x, w, rstd, dx, dw, rows, cols, addOne);
        NumericAssert.GradClose(nx, dx, $"rmsnorm dx addOne={addOne}");
        NumericAssert.GradClose(nw, dw, $"rmsnorm dweight addOne={addOne}");
    }

    [Theory]
    [InlineData("rmsnorm_llama")]
    [InlineData("rmsnorm_gemma")]
    public void MatchesTorch(string name)
    {
        var f = GoldenFixture.Load($"ops/{name}.json");
        int rows = f.Int("rows"), cols = f.Int("cols");
        bool addOne = f.Bool("add_one_to_weight");
        float eps = (float)f.Double("eps");
        float[] x = f["x"].AsFloats(), w = f["weight"].AsFloats(), g = f["grad_out"].AsFloats();
        float[] y = new float[x.Length], rstd = new float[rows], dx = new float[x.Length], dw = new float[cols];
        RmsNorm.Forward(x, w, y, rstd, rows, cols, eps, addOne);
        RmsNorm.Backward(g, x, w, rstd, dx, dw, rows, cols, addOne);
        NumericAssert.Close(f["out"].AsFloats(), y, Tolerances.TorchForwardRtol, Tolerances.TorchForwardAtol, name + " out");
        NumericAssert.Close(f["rstd"].AsFloats(), rstd, Tolerances.TorchForwardRtol, Tolerances.TorchForwardAtol, name + " rstd");
        NumericAssert.Close(f["grad_x"].AsFloats(), dx, Tolerances.TorchGradRtol, Tolerances.TorchGradAtol, name + " grad_x");
        NumericAssert.Close(f["grad_weight"].AsFloats(), dw, Tolerances.TorchGradRtol, Tolerances.TorchGradAtol, name + " grad_weight");
    }
}
