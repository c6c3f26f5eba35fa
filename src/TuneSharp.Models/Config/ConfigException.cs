// Raised when a config.json is malformed, unsupported or inconsistent; the message names the file and field.
namespace TuneSharp.Models.Config;

/// <summary>A config file problem. <see cref="Exception.Message"/> always starts with the file name.</summary>
public sealed class ConfigException : TuneSharpException
{
    public ConfigException(string message) : base(message) { }

    public ConfigException(string message, Exception inner) : base(message, inner) { }

    public override ExitCode ExitCode => ExitCode.Config;
}
