// Sandbox budgets of one template (untrusted input: it ships inside downloaded tokenizer files), after Jinja2's SandboxedEnvironment (MAX_RANGE).
namespace TuneSharp.Tokenizers.Jinja;

/// <summary>
/// Bounds on parsing and rendering a template. Every breach raises <see cref="TemplateException"/> naming the template.
/// Defaults are far above what real chat templates use (nesting ≤ ~10, a few thousand steps per conversation).
/// </summary>
public sealed record JinjaLimits
{
    /// <summary>The limits every template gets unless told otherwise.</summary>
    public static readonly JinjaLimits Default = new();

    /// <summary>Deepest nesting of blocks, brackets, unary operators and operator/filter/member chains the parser accepts.</summary>
    public int MaxNestingDepth { get; init; } = 200;

    /// <summary>Most items one <c>range()</c> may produce (Jinja2's sandbox MAX_RANGE).</summary>
    public int MaxRange { get; init; } = 100_000;

    /// <summary>Most statements and expressions evaluated in one render.</summary>
    public long MaxSteps { get; init; } = 20_000_000;

    /// <summary>Wall-clock budget of one render.</summary>
    public TimeSpan MaxRenderTime { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest string (rendered output or any intermediate string) and largest list, in characters / items.</summary>
    public int MaxOutputChars { get; init; } = 16 * 1024 * 1024;
}
