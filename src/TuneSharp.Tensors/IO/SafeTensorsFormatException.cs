// The single exception type for malformed safetensors files, model folders and index files.
namespace TuneSharp.Tensors.IO;

/// <summary>
/// Thrown when a safetensors file (or a sharded model's <c>model.safetensors.index.json</c>) violates the format.
/// The message always names the file and, when one is involved, the tensor.
/// </summary>
public sealed class SafeTensorsFormatException : TuneSharpException
{
    public SafeTensorsFormatException(string filePath, string detail, string? tensorName = null, Exception? innerException = null)
        : base(Compose(filePath, detail, tensorName), innerException)
    {
        FilePath = filePath;
        TensorName = tensorName;
        Detail = detail;
    }

    /// <summary>The file that is malformed.</summary>
    public string FilePath { get; }

    /// <summary>The tensor whose header entry is malformed, when the problem is about one tensor.</summary>
    public string? TensorName { get; }

    /// <summary>The problem, without the file and tensor prefix.</summary>
    public string Detail { get; }

    private static string Compose(string filePath, string detail, string? tensorName) =>
        tensorName is null
            ? $"invalid safetensors file '{filePath}': {detail}"
            : $"invalid safetensors file '{filePath}', tensor '{tensorName}': {detail}";

    public override ExitCode ExitCode => ExitCode.InputFormat;
}
