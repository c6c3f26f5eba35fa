// The one exception type for a model that cannot be loaded: every problem found, with the file and tensor/field named.
namespace TuneSharp.Models;

/// <summary>
/// Thrown by <see cref="CausalLM.FromPretrained"/> when a checkpoint does not match its config (all missing,
/// unexpected and mis-shaped tensors listed at once), a file is truncated or malformed, or a GGUF file is of an
/// unsupported architecture. <see cref="Exception.Message"/> always names the file.
/// </summary>
public sealed class ModelLoadException : TuneSharpException
{
    public ModelLoadException(string message, Exception? inner = null) : base(message, inner) { }

    public override ExitCode ExitCode => ExitCode.InputFormat;
}
