// A scalar function of one small F32 vector with its gradient supplied by the caller (e.g. a preference loss over
// per-token log-probs): the function runs in double on the host, the tape only carries the gradient back.
using TuneSharp.Tensors;

namespace TuneSharp.Autograd.Ops;

/// <summary>The caller's function: reads x (N), writes ∂f/∂x (N) into the gradient span, returns f(x).</summary>
public delegate double ScalarFunction(ReadOnlySpan<float> x, Span<double> gradient);

public static class ScalarFunctionOp
{
    /// <summary>
    /// y = f(x) (a scalar), dx += dy · ∂f/∂x. The gradient is computed together with the value in forward, as the
    /// callers' functions (sums, sigmoids, squares of a few values) get it almost for free. For vectors of tokens or
    /// sequences, not for anything (B, T, C)-sized.
    /// </summary>
    public static Variable ScalarFunction(this Tape tape, Variable x, ScalarFunction f, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(f);
        OpUtil.RequireF32(x, "ScalarFunction", "input");
        int n = checked((int)x.Value.ElementCount);
        var grad = new double[n];
        double value = f(x.Value.Span, grad);
        var y = AutogradMemory.AllocateF32(new Shape());
        y.Span[0] = (float)value;
        bool needs = tape.NeedsGrad(x);
        var output = tape.CreateOutput(y, needs, name ?? "objective");
        if (needs) tape.Record(new Node(output, x, grad));
        return output;
    }

    private sealed class Node(Variable output, Variable x, double[] grad) : TapeNode(output)
    {
        public override string OpName => "ScalarFunction";

        protected internal override void Backward()
        {
            double upstream = Output.Grad!.Span[0];
            var dx = x.GradForWrite(out bool acc);
            for (int i = 0; i < grad.Length; i++)
            {
                float g = (float)(upstream * grad[i]);
                dx[i] = acc ? dx[i] + g : g;
            }
        }
    }
}
