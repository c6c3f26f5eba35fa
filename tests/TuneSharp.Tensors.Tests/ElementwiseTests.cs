// Elementwise kernels vs their scalar twin (all lengths, specials, in place, parallel path) and vs PyTorch.
using TuneSharp.Tensors.Kernels;
using TuneSharp.Tensors.Kernels.Reference;
using TuneSharp.Testing;
using static TuneSharp.Tensors.Tests.ElementwiseTestData;

namespace TuneSharp.Tensors.Tests;

public sealed class ElementwiseTests
{
    private static (float[] A, float[] B, float[] D) Inputs(int n, int seed)
    {
        var rng = new Random(seed);
        var a = Randn(rng, n);
        var b = Randn(rng, n);
        InsertSpecials(a);
        return (a, b, Randn(rng, n));
    }

    [Fact]
    public void AllOpsMatchTwinForEveryLength()
    {
        foreach (int n in AllLengths.Append(100_003)) // the last one takes the parallel path
        {
            var (a, b, d) = Inputs(n, n);
            var expected = new float[n];
            var actual = new float[n];

            ElementwiseReference.Add<float>(a, b, expected);
            Elementwise.Add(a, b, actual);
            NumericAssert.Close(expected, actual, Tolerances.ElementwiseRel, 0, $"Add n={n}");

            ElementwiseReference.Mul<float>(a, b, expected);
            Elementwise.Mul(a, b, actual);
            NumericAssert.Close(expected, actual, Tolerances.ElementwiseRel, 0, $"Mul n={n}");

            ElementwiseReference.Scale(a, 0.37f, expected);
            Elementwise.Scale(a, 0.37f, actual);
            NumericAssert.Close(expected, actual, Tolerances.ElementwiseRel, 0, $"Scale n={n}");

            d.CopyTo(expected); d.CopyTo(actual);
            ElementwiseReference.AddScaled(a, -1.5f, expected.AsSpan());
            Elementwise.AddScaled(a, -1.5f, actual);
            NumericAssert.Close(expected, actual, Tolerances.ElementwiseRel, 0, $"AddScaled n={n}");

            d.CopyTo(expected); d.CopyTo(actual);
            ElementwiseReference.AddInPlace<float>(a, expected);
            Elementwise.AddInPlace(a, actual);
            NumericAssert.Close(expected, actual, Tolerances.ElementwiseRel, 0, $"AddInPlace n={n}");

            Elementwise.Fill(2.5f, actual);
            Assert.All(actual, v => Assert.Equal(2.5f, v));
        }
    }

    [Fact]
    public void SignedZeroAndNaNFollowIeee()
    {
        float[] a = [-0f, -0f, float.NaN, 0f];
        float[] b = [-0f, 0f, 1f, -0f];
        var r = new float[4];
        Elementwise.Add(a, b, r);
        Assert.True(float.IsNegative(r[0]) && r[0] == 0); // -0 + -0 = -0
        Assert.False(float.IsNegative(r[1]));              // -0 + 0 = +0
        Assert.True(float.IsNaN(r[2]));
        Elementwise.Mul(a, b, r);
        Assert.False(float.IsNegative(r[0]));              // -0 · -0 = +0
        Assert.True(float.IsNegative(r[1]));               // -0 · +0 = -0
    }

    [Fact]
    public void InPlaceAliasingWorksAndPartialOverlapThrows()
    {
        var (a, b, _) = Inputs(67, 1);
        var expected = new float[67];
        ElementwiseReference.Add<float>(a, b, expected);
        Elementwise.Add(a, b, a);
        NumericAssert.Close(expected, a, Tolerances.ElementwiseRel, 0, "Add in place");

        var buf = new float[80];
        var ex = Assert.Throws<ArgumentException>(() => Elementwise.Add(buf.AsSpan(0, 70), buf.AsSpan(0, 70), buf.AsSpan(5, 70)));
        Assert.Contains("overlaps", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => Elementwise.Mul(new float[3], new float[4], new float[3]));
        Assert.Contains("length", ex.Message);
    }

    [Fact]
    public void MatchesTorch()
    {
        var f = GoldenFixture.Load("ops/elementwise_basic.json");
        float[] a = f["a"].AsFloats(), b = f["b"].AsFloats(), d = f["d"].AsFloats();
        float s = (float)f.Double("s");
        var r = new float[a.Length];
        Elementwise.Add(a, b, r);
        NumericAssert.Close(f["add"].AsFloats(), r, Tolerances.TorchForwardRtol, Tolerances.TorchForwardAtol, "add");
        Elementwise.Mul(a, b, r);
        NumericAssert.Close(f["mul"].AsFloats(), r, Tolerances.TorchForwardRtol, Tolerances.TorchForwardAtol, "mul");
        Elementwise.Scale(a, s, r);
        NumericAssert.Close(f["scale"].AsFloats(), r, Tolerances.TorchForwardRtol, Tolerances.TorchForwardAtol, "scale");
        d.CopyTo(r);
        Elementwise.AddScaled(a, s, r);
        NumericAssert.Close(f["add_scaled"].AsFloats(), r, Tolerances.TorchForwardRtol, Tolerances.TorchForwardAtol, "add_scaled");
        d.CopyTo(r);
        Elementwise.AddInPlace(a, r);
        NumericAssert.Close(f["add_in_place"].AsFloats(), r, Tolerances.TorchForwardRtol, Tolerances.TorchForwardAtol, "add_in_place");
    }
}
