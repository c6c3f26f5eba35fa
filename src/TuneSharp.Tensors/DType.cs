// Element types a tensor can hold on disk or in memory; compute is always F32.
namespace TuneSharp.Tensors;

public enum DType
{
    F32,
    BF16,
    F16,
}

public static class DTypeExtensions
{
    /// <summary>Bytes per element.</summary>
    public static int Size(this DType dtype) => dtype switch
    {
        DType.F32 => 4,
        DType.BF16 => 2,
        DType.F16 => 2,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    /// <summary>The name safetensors and PyTorch use ("F32", "BF16", "F16").</summary>
    public static string SafeTensorsName(this DType dtype) => dtype switch
    {
        DType.F32 => "F32",
        DType.BF16 => "BF16",
        DType.F16 => "F16",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };
}
