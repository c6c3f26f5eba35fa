// The error of `tunesharp export` and the Export library: bad inputs (adapter/base mismatch, unsupported type or
// architecture), an output that exists, or a failed check. The message names the file/tensor and says what to do.
namespace TuneSharp.Export;

public sealed class ExportException(string message, ExitCode exitCode = ExitCode.InputFormat, Exception? inner = null)
    : TuneSharpException(message, inner)
{
    public override ExitCode ExitCode { get; } = exitCode;
}
