// The autograd tape: op nodes in forward order, reverse-mode backward that frees as it goes, no-grad mode, dropout RNG state.
using TuneSharp.Tensors;

namespace TuneSharp.Autograd;

/// <summary>
/// Records coarse ops (see <c>TuneSharp.Autograd.Ops</c>) in forward order and runs their backward rules in
/// reverse. Op outputs belong to the tape: <see cref="Backward(Variable, float)"/> releases each node's saved
/// tensors, its output value and its output gradient as soon as that node is done (the loss value stays
/// readable until <see cref="Reset"/>), so peak memory falls during the backward pass. Leaf gradients
/// (parameters, inputs) accumulate across backward passes. In no-grad mode (<see cref="NoGrad"/>) ops record
/// nothing and save nothing; their outputs are still owned by the tape and freed on <see cref="Reset"/>.
/// A tape is single-threaded; the kernels underneath are parallel.
/// </summary>
public sealed class Tape : IDisposable
{
    private readonly List<TapeNode> _nodes = [];
    private readonly List<Variable> _owned = [];

    /// <summary>A recording tape; <paramref name="seed"/> keys the dropout masks.</summary>
    public Tape(ulong seed = 0)
    {
        Seed = seed;
    }

    /// <summary>False inside a <see cref="NoGrad"/> scope: ops then record nothing and keep nothing.</summary>
    public bool GradEnabled { get; internal set; } = true;

    /// <summary>Key of the counter-based dropout RNG (the trainer sets it from the run seed and step).</summary>
    public ulong Seed { get; set; }

    /// <summary>
    /// Next random stream id. Every random op takes one per call, so a recomputed forward (checkpointing) that
    /// starts from the same counter draws the same masks.
    /// </summary>
    public ulong RandomCounter { get; set; }

    /// <summary>Recorded nodes not yet run backward.</summary>
    public int NodeCount => _nodes.Count;

    /// <summary>Op outputs the tape currently owns.</summary>
    public int OwnedCount => _owned.Count;

    /// <summary>Set when any op saw an input that requires a gradient (also in no-grad mode; checkpointing reads it).</summary>
    internal bool SawGradInput { get; set; }

    /// <summary>Switches to no-grad mode until the returned scope is disposed.</summary>
    public NoGradScope NoGrad()
    {
        var scope = new NoGradScope(this, GradEnabled);
        GradEnabled = false;
        return scope;
    }

    /// <summary>Takes a random stream id (see <see cref="RandomCounter"/>).</summary>
    public ulong NextRandomStream() => RandomCounter++;

    /// <summary>For op authors: whether the op must record a node (grad mode and an input requires a gradient).</summary>
    public bool NeedsGrad(Variable a)
    {
        bool any = a.RequiresGrad;
        SawGradInput |= any;
        return any && GradEnabled;
    }

    /// <inheritdoc cref="NeedsGrad(Variable)"/>
    public bool NeedsGrad(Variable a, Variable? b)
    {
        bool any = a.RequiresGrad || (b?.RequiresGrad ?? false);
        SawGradInput |= any;
        return any && GradEnabled;
    }

    /// <inheritdoc cref="NeedsGrad(Variable)"/>
    public bool NeedsGrad(Variable a, Variable? b, Variable? c)
    {
        bool any = a.RequiresGrad || (b?.RequiresGrad ?? false) || (c?.RequiresGrad ?? false);
        SawGradInput |= any;
        return any && GradEnabled;
    }

    /// <summary>
    /// For op authors: wraps a tensor allocated with <see cref="AutogradMemory.Allocate"/> as an op output owned by
    /// this tape. <paramref name="requiresGrad"/> is the op's <see cref="NeedsGrad(Variable)"/> result.
    /// </summary>
    public Variable CreateOutput(Tensor value, bool requiresGrad, string? name = null) =>
        CreateOutput(value, requiresGrad, name, ValueOwnership.Counted);

    /// <summary>
    /// For op authors: like <see cref="CreateOutput(Tensor, bool, string?)"/> for a view (<see cref="Tensor.Reshape"/>)
    /// of <paramref name="viewOf"/>'s value; not counted, and it keeps <paramref name="viewOf"/>'s value alive when saved.
    /// </summary>
    public Variable CreateViewOutput(Tensor view, Variable viewOf, bool requiresGrad, string? name = null) =>
        CreateOutput(view, requiresGrad, name, ValueOwnership.View, viewOf);

    internal Variable CreateOutput(Tensor value, bool requiresGrad, string? name, ValueOwnership ownership, Variable? viewOf = null)
    {
        var v = new Variable(value, requiresGrad, name, ownership, isLeaf: false) { Owner = this, ViewOf = viewOf };
        _owned.Add(v);
        return v;
    }

    /// <summary>For op authors: appends a node (only when <see cref="NeedsGrad(Variable)"/> said so).</summary>
    public void Record(TapeNode node)
    {
        if (!GradEnabled) throw new InvalidOperationException($"op {node.OpName} recorded in no-grad mode");
        _nodes.Add(node);
    }

    /// <summary>True when <paramref name="v"/> is an op output owned by this tape.</summary>
    public bool Owns(Variable v) => ReferenceEquals(v.Owner, this);

    /// <summary>
    /// Backpropagates from <paramref name="root"/> with d(root) = <paramref name="scale"/> in every element
    /// (1 for a loss; e.g. 1/accumulation-steps to average micro-batches). Afterwards the tape is empty except
    /// for the root, whose value stays readable until <see cref="Reset"/>.
    /// </summary>
    public void Backward(Variable root, float scale = 1f)
    {
        CheckRoot(root);
        var seed = AutogradMemory.AllocateF32(root.Value.Shape);
        seed.Span.Fill(scale);
        Run(root, seed, counted: true);
    }

    /// <summary>Backpropagates from <paramref name="root"/> with the given upstream gradient (same element count).</summary>
    public void Backward(Variable root, ReadOnlySpan<float> rootGrad)
    {
        CheckRoot(root);
        if (rootGrad.Length != root.Value.ElementCount)
            throw new ArgumentException($"root gradient has {rootGrad.Length} values, root '{root.Name}' has shape {root.Value.Shape}");
        var seed = AutogradMemory.AllocateF32(root.Value.Shape);
        rootGrad.CopyTo(seed.Span);
        Run(root, seed, counted: true);
    }

    /// <summary>Backward with a seed gradient tensor whose ownership passes to the tape (checkpoint recompute).</summary>
    internal void Backward(Variable root, Tensor rootGrad, bool counted)
    {
        if (!Owns(root))
        {
            // The graph below root was not recorded here (root is a leaf or another tape's output): pass the gradient on.
            if (root.RequiresGrad && !root.TryAdoptGrad(rootGrad, counted))
            {
                root.AccumulateGrad(rootGrad.Span);
                Free(rootGrad, counted);
            }
            else if (!root.RequiresGrad) Free(rootGrad, counted);
            return;
        }
        Run(root, rootGrad, counted);
    }

    private void CheckRoot(Variable root)
    {
        if (!root.RequiresGrad)
            throw new InvalidOperationException($"'{root.Name ?? "root"}' does not require a gradient: no trainable parameter or grad-requiring input reaches it (or it was computed in no-grad mode)");
        if (!Owns(root)) throw new InvalidOperationException($"'{root.Name ?? "root"}' was not produced by this tape");
    }

    private void Run(Variable root, Tensor seed, bool counted)
    {
        root.ClearGrad();
        if (!root.TryAdoptGrad(seed, counted)) throw new InvalidOperationException("unreachable: root gradient not adopted");
        try
        {
            ReleaseUnsavedValues(root);
            for (int i = _nodes.Count - 1; i >= 0; i--)
            {
                var node = _nodes[i];
                _nodes.RemoveAt(i);
                try
                {
                    if (node.Output.Grad != null) node.Backward();
                }
                finally
                {
                    node.Release();
                    // Every consumer of this output ran already (consumers come later on the tape), so it can go.
                    node.Output.ClearGrad();
                    if (!ReferenceEquals(node.Output, root)) node.Output.ReleaseValue();
                }
            }
        }
        finally
        {
            ReleaseAll(keep: root);
            root.ClearGrad();
        }
    }

    /// <summary>
    /// Before the first backward step, frees every owned value no backward rule reads (e.g. a frozen linear's input,
    /// a residual sum's operands, q/k before rotation): the backward pass, where gradients pile up on top of the
    /// activations, then starts from the smaller set.
    /// </summary>
    private void ReleaseUnsavedValues(Variable root)
    {
        var saved = new HashSet<Variable>(ReferenceEqualityComparer.Instance) { root };
        foreach (var node in _nodes) node.CollectSaved(saved);
        var views = new List<Variable>();
        foreach (var v in saved)
            for (var b = v.ViewOf; b != null; b = b.ViewOf) views.Add(b);
        saved.UnionWith(views);
        foreach (var v in _owned)
            if (!saved.Contains(v)) v.ReleaseValue();
    }

    /// <summary>
    /// Frees an owned output's value and gradient now, e.g. the previous layer's hidden state in a no-grad forward.
    /// The caller promises nothing recorded still reads it (always true in no-grad mode); a backward rule that does
    /// fails with a "released" error. Leaves are left alone.
    /// </summary>
    public void Release(Variable v)
    {
        if (!Owns(v)) return;
        v.ClearGrad();
        v.ReleaseValue();
    }

    /// <summary>Drops every node and owned output (values and gradients). Leaf gradients are untouched.</summary>
    public void Reset() => ReleaseAll(keep: null);

    public void Dispose() => Reset();

    /// <summary>Moves an owned output's value out of the tape (the checkpoint op re-homes a block's result).</summary>
    internal Tensor Detach(Variable v, out ValueOwnership ownership)
    {
        if (!Owns(v)) throw new InvalidOperationException("Detach of a variable the tape does not own");
        _owned.Remove(v);
        v.Owner = null;
        v.ClearGrad();
        return v.TakeValue(out ownership);
    }

    private void ReleaseAll(Variable? keep)
    {
        for (int i = _nodes.Count - 1; i >= 0; i--) _nodes[i].Release();
        _nodes.Clear();
        foreach (var v in _owned)
        {
            if (ReferenceEquals(v, keep)) continue;
            v.ClearGrad();
            v.ReleaseValue();
            v.Owner = null;
        }
        _owned.Clear();
        if (keep != null && !keep.IsLeaf) _owned.Add(keep);
        SawGradInput = false;
    }

    private static void Free(Tensor t, bool counted)
    {
        if (counted) AutogradMemory.Free(t);
        else t.Dispose();
    }
}
