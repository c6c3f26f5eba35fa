// Base of every recorded op: its output, the backward rule and the release of what it saved.
namespace TuneSharp.Autograd;

/// <summary>
/// One recorded op. A subclass keeps references to its inputs and whatever forward state its backward needs
/// (saved tensors it allocated itself, e.g. rstd or the attention LSE), and in <see cref="Backward"/> reads
/// <c>Output.Grad</c> and accumulates into the inputs that require a gradient. The tape calls
/// <see cref="Release"/> exactly once — right after <see cref="Backward"/>, or on reset if backward never ran —
/// so saved memory falls as the backward pass proceeds.
/// </summary>
public abstract class TapeNode
{
    protected TapeNode(Variable output)
    {
        Output = output ?? throw new ArgumentNullException(nameof(output));
    }

    /// <summary>The variable this op produced.</summary>
    public Variable Output { get; }

    /// <summary>Short op name for diagnostics.</summary>
    public virtual string OpName => GetType().DeclaringType?.Name ?? GetType().Name;

    /// <summary>Called only when <c>Output.Grad</c> is non-null: accumulate gradients into the inputs that require them.</summary>
    protected internal abstract void Backward();

    /// <summary>
    /// Adds every variable whose <em>value</em> <see cref="Backward"/> reads (inputs, or <see cref="Output"/> itself).
    /// Values nobody lists are freed when the backward pass starts, so a rule that reads an unlisted value fails
    /// with "value … was released". Leaves may be listed or not (they are never freed).
    /// </summary>
    protected internal virtual void CollectSaved(ISet<Variable> saved)
    {
    }

    /// <summary>Frees saved tensors this node allocated (not its inputs, which belong to their producers).</summary>
    protected internal virtual void Release()
    {
    }
}
