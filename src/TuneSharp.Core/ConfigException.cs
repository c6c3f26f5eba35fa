// A configuration problem (run config YAML, key=value overrides, option values, a model's config.json): names the file, line or key and a fix.
namespace TuneSharp;

/// <summary>
/// Thrown when a setting is unknown, malformed, out of range or inconsistent with another; exit code
/// <see cref="ExitCode.Config"/>. Every layer uses this one type for settings, so a caller catches one thing.
/// </summary>
public sealed class ConfigException(string message, Exception? inner = null) : TuneSharpException(message, inner)
{
    public override ExitCode ExitCode => ExitCode.Config;
}
