// Public entry point of the Jinja interpreter: parse once, render many times with a set of variables.
namespace TuneSharp.Tokenizers.Jinja;

public sealed class JinjaTemplate
{
    private readonly TemplateSource _source;
    private readonly List<JinjaNode> _program;

    private readonly JinjaLimits _limits;

    private JinjaTemplate(TemplateSource source, List<JinjaNode> program, JinjaLimits limits)
    {
        _source = source;
        _program = program;
        _limits = limits;
        HasGenerationBlocks = ContainsGeneration(program);
    }

    /// <summary>
    /// Parses a template (with lstrip_blocks and trim_blocks, as Hugging Face renders chat templates); throws TemplateException
    /// with line/column and <paramref name="name"/> (where the template came from). Templates are untrusted input: parsing
    /// and every render run inside <paramref name="limits"/> (default <see cref="JinjaLimits.Default"/>).
    /// </summary>
    public static JinjaTemplate Parse(string template, string? name = null, JinjaLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(template);
        limits ??= JinjaLimits.Default;
        var source = new TemplateSource(template, name);
        return new JinjaTemplate(source, JinjaParser.Parse(source, limits), limits);
    }

    /// <summary>Where the template came from, as given to <see cref="Parse"/>.</summary>
    public string? Name => _source.Name;

    public string Source => _source.Text;

    /// <summary>True when the template has `{% generation %}` … `{% endgeneration %}` markers.</summary>
    public bool HasGenerationBlocks { get; }

    public string Render(IReadOnlyDictionary<string, JinjaValue> variables) => RenderWithGenerationSpans(variables).Text;

    /// <summary>Renders and returns the character spans [Start, End) of text emitted inside generation blocks at top level (not inside macros or set blocks).</summary>
    public JinjaRenderResult RenderWithGenerationSpans(IReadOnlyDictionary<string, JinjaValue> variables)
    {
        ArgumentNullException.ThrowIfNull(variables);
        var scope = new JinjaScope(JinjaBuiltins.CreateGlobals(_limits));
        foreach (var (name, value) in variables) scope.Set(name, value);
        var interpreter = new JinjaInterpreter(_source, _limits);
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
