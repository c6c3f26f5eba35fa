// Internal signal thrown by raise_exception(msg); the interpreter turns it into a ChatTemplateException carrying the template's own message.
namespace TuneSharp.Tokenizers.Jinja;

internal sealed class JinjaRaise(string message) : Exception(message);
