// A PEFT adapter folder that cannot be used: missing or malformed adapter_config.json / adapter_model.safetensors, or unsupported settings.
namespace TuneSharp.Nn.Peft;

public sealed class AdapterFormatException(string message, Exception? inner = null) : TuneSharpException(message, inner)
{
    public override ExitCode ExitCode => ExitCode.InputFormat;

    /// <summary>Runs <paramref name="read"/>, turning the parser's and validator's exceptions into this documented one (the message is kept).</summary>
    internal static T Wrap<T>(string folder, Func<T> read)
    {
        try { return read(); }
        catch (Exception e) when (e is InvalidDataException or InvalidOperationException or ArgumentException or NotSupportedException or FormatException
            or System.Text.Json.JsonException or FileNotFoundException or DirectoryNotFoundException or KeyNotFoundException)
        {
            var message = e.Message.StartsWith("PEFT adapter", StringComparison.Ordinal) ? e.Message : $"PEFT adapter: '{folder}': {e.Message}";
            throw new AdapterFormatException(message + (e is InvalidOperationException or FormatException ? " (a value has the wrong type)" : ""), e);
        }
    }
}
