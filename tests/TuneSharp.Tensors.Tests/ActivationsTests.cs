// Activation kernels (SiLU, tanh-GELU, SwiGLU, GeGLU) vs the scalar twin, finite differences and PyTorch.
using TuneSharp.Tensors.Kernels;
using TuneSharp.Tensors.Kernels.Reference;
using TuneSharp.Testing;
using static TuneSharp.Tensors.Tests.ElementwiseTestData;
using static TuneSharp.Testing.Widening;

namespace TuneSharp.Tensors.Tests;

public sealed class ActivationsTests
{
    // Values are O(1), so an absolute floor of the same size as the relative bound covers roots of the derivative.
    private const double Rel = Tolerances.ElementwiseRel, Abs = Tolerances.ElementwiseRel;

    private static float[] Input(Random rng, int n)
    {
        var x = Randn(rng, n, 3.0);
        InsertSpecials(x);
        if (n > 8) { x[5] = -40f; x[6] = 40f; x[7] = 1e-6f; x[8] = -9.5f; }
        return x;
    }

    [Fact]
    public void UnaryMatchTwinForEveryLength()
    {
        foreach (int n in AllLengths.Append(70_001))
        {
            var rng = new Random(n);
            float[] x = Input(rng, n), dy = Randn(rng, n), e = new float[n], a = new float[n];

            ActivationsReference.Silu<float>(x, e); Activations.Silu(x, a);
            NumericAssert.Close(e, a, Rel, Abs, $"Silu n={n}");
            ActivationsReference.SiluBackward<float>(dy, x, e); Activations.SiluBackward(dy, x, a);
            NumericAssert.Close(e, a, Rel, Abs, $"SiluBackward n={n}");
            ActivationsReference.GeluTanh<float>(x, e); Activations.GeluTanh(x, a);
            NumericAssert.Close(e, a, Rel, Abs, $"GeluTanh n={n}");
            ActivationsReference.GeluTanhBackward<float>(dy, x, e); Activations.GeluTanhBackward(dy, x, a);
            NumericAssert.Close(e, a, Rel, Abs, $"GeluTanhBackward n={n}");
        }
    }

    [Fact]
    public void GatedMatchTwinForEveryLength()
    {
        foreach (int n in AllLengths.Append(70_001))
        {
            var rng = new Random(1000 + n);
            float[] g = Input(rng, n), u = Randn(rng, n), dh = Randn(rng, n);
            float[] e = new float[n], a = new float[n], e2 = new float[n], a2 = new float[n];

            ActivationsReference.SwiGlu<float>(g, u, e); Activations.SwiGlu(g, u, a);
            NumericAssert.Close(e, a, Rel, Abs, $"SwiGlu n={n}");
            ActivationsReference.SwiGluBackward<float>(dh, g, u, e, e2); Activations.SwiGluBackward(dh, g, u, a, a2);
            NumericAssert.Close(e, a, Rel, Abs, $"SwiGlu dgate n={n}");
            NumericAssert.Close(e2, a2, Rel, Abs, $"SwiGlu dup n={n}");

            ActivationsReference.GeGlu<float>(g, u, e); Activations.GeGlu(g, u, a);
            NumericAssert.Close(e, a, Rel, Abs, $"GeGlu n={n}");
            ActivationsReference.GeGluBackward<float>(dh, g, u, e, e2); Activations.GeGluBackward(dh, g, u, a, a2);
            NumericAssert.Close(e, a, Rel, Abs, $"GeGlu dgate n={n}");
            NumericAssert.Close(e2, a2, Rel, Abs, $"GeGlu dup n={n}");
        }
    }

    [Fact]
    public void SpecialValues()
    {
        float[] x = [float.NaN, 0f, -0f, -200f, 200f], y = new float[5];
        Activations.Silu(x, y);
        Assert.True(float.IsNaN(y[0]));
        Assert.Equal(0f, y[1]);
        Assert.Equal(0f, y[3], 30f);
        Assert.Equal(200f, y[4]);
        Activations.GeluTanh(x, y);
        Assert.True(float.IsNaN(y[0]));
        Assert.Equal(0f, y[2]);
        Assert.Equal(0f, y[3], 30f);
        Assert.Equal(200f, y[4]);
    }

    [Fact]
    public void BackwardMayWriteIntoItsInputs()
    {
        var rng = new Random(5);
        float[] g = Input(rng, 37), u = Randn(rng, 37), dh = Randn(rng, 37);
        float[] e = new float[37], e2 = new float[37];
        ActivationsReference.SwiGluBackward<float>(dh, g, u, e, e2);
        Activations.SwiGluBackward(dh, g, u, dh, u); // dgate → dh's buffer, dup → up's buffer
        NumericAssert.Close(e, dh, Rel, Abs, "dgate in place");
        NumericAssert.Close(e2, u, Rel, Abs, "dup in place");
        Assert.Throws<ArgumentException>(() => Activations.Silu(new float[5], new float[4]));
    }

    [Fact]
    public void UnaryGradientsMatchFiniteDifferences()
    {
        var rng = new Random(11);
        double[] x = ToDouble(Randn(rng, 23, 2.5)), w = ToDouble(Randn(rng, 23));
        var y = new double[23];
        var dx = new double[23];
        foreach (bool gelu in new[] { false, true })
        {
            double Loss()
            {
                if (gelu) ActivationsReference.GeluTanh<double>(x, y); else ActivationsReference.Silu<double>(x, y);
                return Dot(y, w);
            }
            var numeric = NumericGrad(x, Loss);
            if (gelu) ActivationsReference.GeluTanhBackward<double>(w, x, dx); else ActivationsReference.SiluBackward<double>(w, x, dx);
            NumericAssert.GradClose(numeric, dx, gelu ? "gelu_tanh dx" : "silu dx");
        }
    }

    [Fact]
    public void GatedGradientsMatchFiniteDifferences()
    {
        var rng = new Random(12);
        double[] g = ToDouble(Randn(rng, 19, 2.5)), u = ToDouble(Randn(rng, 19)), w = ToDouble(Randn(rng, 19));
        var h = new double[19];
        var dg = new double[19];
        var du = new double[19];
        foreach (bool gelu in new[] { false, true })
        {
            double Loss()
            {
                if (gelu) ActivationsReference.GeGlu<double>(g, u, h); else ActivationsReference.SwiGlu<double>(g, u, h);
                return Dot(h, w);
            }
            var ng = NumericGrad(g, Loss);
            var nu = NumericGrad(u, Loss);
            if (gelu) ActivationsReference.GeGluBackward<double>(w, g, u, dg, du); else ActivationsReference.SwiGluBackward<double>(w, g, u, dg, du);
            NumericAssert.GradClose(ng, dg, gelu ? "geglu dgate" : "swiglu dgate");
            NumericAssert.GradClose(nu, du, gelu ? "geglu dup" : "swiglu dup");
        }
    }

    [Theory]
    [InlineData("act_silu", false)]
    [InlineData("act_gelu_tanh", true)]
    public void UnaryMatchesTorch(string name, bool gelu)
    {
        var f = GoldenFixture.Load($"ops/{name}.json");
        float[] x = f["x"].AsFloats(), g = f["grad_out"].AsFloats(), y = new float[x.Length], dx = new float[x.Length];
        if (gelu) { Activations.GeluTanh(x, y); Activations.GeluTanhBackward(g, x, dx); }
        else { Activations.Silu(x, y); Activations.SiluBackward(g, x, dx); }
        NumericAssert.Close(f["out"].AsFloats(), y, Tolerances.TorchForwardRtol, Tolerances.TorchForwardAtol, name + " out");
        NumericAssert.Close(f["grad_x"].AsFloats(), dx, Tolerances.TorchGradRtol, Tolerances.TorchGradAtol, name + " grad_x");
    }

    [Theory]
    [InlineData("act_swiglu", false)]
    [InlineData("act_geglu", true)]
    public void GatedMatchesTorch(string name, bool gelu)
    {
        var f = GoldenFixture.Load($"ops/{name}.json");
        float[] gate = f["gate"].AsFloats(), up = f["up"].AsFloats(), g = f["grad_out"].AsFloats();
        int n = gate.Length;
        float[] h = new float[n], dg = new float[n], du = new float[n];
        if (gelu) { Activations.GeGlu(gate, up, h); Activations.GeGluBackward(g, gate, up, dg, du); }
        else { Activations.SwiGlu(gate, up, h); Activations.SwiGluBackward(g, gate, up, dg, du); }
        NumericAssert.Close(f["out"].AsFloats(), h, Tolerances.TorchForwardRtol, Tolerances.TorchForwardAtol, name + " out");
        NumericAssert.Close(f["grad_gate"].AsFloats(), dg, Tolerances.TorchGradRtol, Tolerances.TorchGradAtol, name + " grad_gate");
        NumericAssert.Close(f["grad_up"].AsFloats(), du, Tolerances.TorchGradRtol, Tolerances.TorchGradAtol, name + " grad_up");
    }
}
