// Named tolerances from ../shared/design/STYLE.md; tests use these, never bare literals.
namespace TuneSharp.Testing;

public static class Tolerances
{
    /// <summary>fp32 kernel vs scalar twin, elementwise (relative).</summary>
    public const double ElementwiseRel = 5e-7;

    /// <summary>fp32 matmul and reductions.</summary>
    public const double MatMulRtol = 1e-5, MatMulAtol = 1e-6;

    /// <summary>fp32 vs PyTorch, forward values.</summary>
    public const double TorchForwardRtol = 1e-4, TorchForwardAtol = 1e-5;

    /// <summary>fp32 vs PyTorch, gradients.</summary>
    public const double TorchGradRtol = 1e-3, TorchGradAtol = 1e-4;

    /// <summary>bf16 per op: atol + |ref|·2⁻⁵.</summary>
    public const double Bf16Rel = 1.0 / 32;

    /// <summary>Quantized blocks: RMS error and dot-product error.</summary>
    public const double QuantRms = 0.002, QuantDot = 0.02;

    /// <summary>Finite differences with float64 twins: |a−n| ≤ 1e-6 + 1e-5·|n|.</summary>
    public const double FiniteDiffAtol = 1e-6, FiniteDiffRtol = 1e-5;
}
