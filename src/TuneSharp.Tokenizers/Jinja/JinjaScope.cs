// A variable scope of the interpreter: `for` bodies and macro calls get a child scope, `if` bodies share their parent's (as in @huggingface/jinja).
namespace TuneSharp.Tokenizers.Jinja;

internal sealed class JinjaScope(JinjaScope? parent)
{
    private readonly Dictionary<string, JinjaValue> _variables = new(StringComparer.Ordinal);

    public JinjaScope? Parent { get; } = parent;

    public void Set(string name, JinjaValue value) => _variables[name] = value;

    public JinjaValue Lookup(string name)
    {
        for (var s = this; s != null; s = s.Parent)
            if (s._variables.TryGetValue(name, out var v)) return v;
        return JinjaValue.Undefined;
    }
}
