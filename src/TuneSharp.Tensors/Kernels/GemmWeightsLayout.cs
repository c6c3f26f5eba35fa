// Alignment promises shared by the GEMM kernels and every IGemmWeights implementation.
namespace TuneSharp.Tensors.Kernels;

/// <summary>Constants that <see cref="IGemmWeights"/> implementations may rely on.</summary>
public static class GemmWeightsLayout
{
    /// <summary>Every <see cref="IGemmWeights.WidenRow"/> segment starts at a multiple of this column.</summary>
    public const int SegmentAlign = 64;
}
