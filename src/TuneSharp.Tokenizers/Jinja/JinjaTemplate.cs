// Public entry point of the Jinja interpreter: parse once, render many times with a set of variables.
namespace TuneSharp.Tokenizers.Jinja;

public sealed class JinjaTemplate
{
    private readonly TemplateSource _source;
    private readonly List<JinjaNode> _program;

    private JinjaTemplate(TemplateSource source, List<JinjaNode> program)
    {
        _source = source;
        _program = program;
        HasGenerationBlocks = ContainsGeneration(program);
    }

    /// <summary>Parses a template (with lstrip_blocks and trim_blocks, as Hugging Face renders chat templates); throws TemplateException with line/column.</summary>
    public static JinjaTemplate Parse(string template)
    {
        ArgumentNullException.ThrowIfNull(template);
        var source = new TemplateSource(template);
        return new JinjaTemplate(source, JinjaParser.Parse(source));
    }

    public string Source => _source.Text;

    /// <summary>True when the template has `{% generation %}` … `{% endgeneration %}` markers.</summary>
    public bool HasGenerationBlocks { get; }

    public string Render(IReadOnlyDictionary<string, JinjaValue> variables) => RenderWithGenerationSpans(variables).Text;

    /// <summary>Renders and returns the character spans [Start, End) of text emitted inside generation blocks at top level (not inside macros or set blocks).</summary>
    public JinjaRenderResult RenderWithGenerationSpans(IReadOnlyDictionary<string, JinjaValue> variables)
    {
        ArgumentNullException.ThrowIfNull(variables);
        var scope = new JinjaScope(JinjaBuiltins.CreateGlobals());
        foreach (var (name, value) in variables) scope.Set(name, value);
        var interpreter = new JinjaInterpreter(_source);
        var text = interpreter.Run(_program, scope);
        return new JinjaRenderResult(text, interpreter.GenerationSpans.ToList());
    }

    private static bool ContainsGeneration(List<JinjaNode> nodes)
    {
        foreach (var n in nodes)
        {
            bool found = n switch
            {
                GenerationNode => true,
                IfNode i => ContainsGeneration(i.Body) || ContainsGeneration(i.Alternate),
                ForNode f => ContainsGeneration(f.Body) || ContainsGeneration(f.ElseBody),
                MacroNode m => ContainsGeneration(m.Body),
                SetNode s => ContainsGeneration(s.Body),
                CallBlockNode c => ContainsGeneration(c.Body),
                FilterBlockNode fb => ContainsGeneration(fb.Body),
                _ => false,
            };
            if (found) return true;
        }
        return false;
    }
}
