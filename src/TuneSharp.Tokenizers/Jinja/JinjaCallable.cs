// Signature of every callable Jinja value (builtins, bound methods, macros): positional args, a trailing KeywordArguments value when keywords were given, and the caller's scope.
namespace TuneSharp.Tokenizers.Jinja;

internal delegate JinjaValue JinjaCallable(List<JinjaValue> args, JinjaScope scope);
