// A PEFT adapter folder that cannot be used: missing or malformed adapter_config.json / adapter_model.safetensors, or tensors that do not fit the model.
namespace TuneSharp.Nn.Peft;

/// <summary>The message names the adapter file and the key or tensor concerned; exit code <see cref="ExitCode.InputFormat"/>.</summary>
public sealed class AdapterFormatException(string message, Exception? inner = null) : TuneSharpException(message, inner)
{
    public override ExitCode ExitCode => ExitCode.InputFormat;
}
