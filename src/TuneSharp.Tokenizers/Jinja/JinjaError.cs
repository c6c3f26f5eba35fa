// Internal runtime error without a position; the interpreter attaches the template line/column of the node being evaluated and rethrows it as TemplateException.
namespace TuneSharp.Tokenizers.Jinja;

internal sealed class JinjaError(string message) : Exception(message);
