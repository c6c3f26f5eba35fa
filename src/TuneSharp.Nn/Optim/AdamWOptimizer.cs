// AdamW (Loshchilov & Hutter 2019) with torch.optim.AdamW semantics (adamw.py _single_tensor_adamw) over named parameters.
using System.Runtime.InteropServices;
using TuneSharp.Autograd;
using TuneSharp.Tensors.IO;
using TuneSharp.Tensors.Kernels;

namespace TuneSharp.Nn.Optim;

/// <summary>
/// F32 exp_avg / exp_avg_sq per parameter; the update is <see cref="AdamW.Step"/> (decoupled decay first, then the
/// bias-corrected Adam step, operation order as torch). Names: adamw_torch, adamw_torch_fused, adamw, adamw_hf.
/// </summary>
public sealed class AdamWOptimizer : Optimizer
{
    private readonly float[][] _m;
    private readonly float[][] _v;

    public AdamWOptimizer(IEnumerable<(string Name, Variable Parameter)> parameters, OptimizerOptions options)
        : base(parameters, options)
    {
        _m = Parameters.Select(p => new float[p.Parameter.Shape.ElementCount]).ToArray();
        _v = Parameters.Select(p => new float[p.Parameter.Shape.ElementCount]).ToArray();
    }

    public override string TypeName => "adamw_torch";

    /// <summary>exp_avg of parameter <paramref name="index"/> (for tests and diagnostics).</summary>
    public ReadOnlySpan<float> ExpAvg(int index) => _m[index];

    public ReadOnlySpan<float> ExpAvgSq(int index) => _v[index];

    protected override void Update(int index, Span<float> param, ReadOnlySpan<float> grad, double weightDecay) =>
        AdamW.Step(param, grad, _m[index], _v[index], LearningRate, Options.Beta1, Options.Beta2, Options.Epsilon, weightDecay, StepCount);

    protected override IEnumerable<(string Key, string DType, long[] Shape, ReadOnlyMemory<byte> Data)> StateTensors()
    {
        for (int i = 0; i < Parameters.Count; i++)
        {
            long n = _m[i].Length;
            yield return (Parameters[i].Name + ".exp_avg", "F32", [n], MemoryMarshal.AsBytes(_m[i].AsSpan()).ToArray());
            yield return (Parameters[i].Name + ".exp_avg_sq", "F32", [n], MemoryMarshal.AsBytes(_v[i].AsSpan()).ToArray());
        }
    }

    protected override void RestoreState(SafeTensorsFile file)
    {
        for (int i = 0; i < Parameters.Count; i++)
        {
            ReadInto(file, Parameters[i].Name + ".exp_avg", MemoryMarshal.AsBytes(_m[i].AsSpan()));
            ReadInto(file, Parameters[i].Name + ".exp_avg_sq", MemoryMarshal.AsBytes(_v[i].AsSpan()));
        }
    }
}
