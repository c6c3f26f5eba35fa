// A node value in the autograd graph: a tensor, its lazily allocated F32 gradient, and whether it needs one.
using TuneSharp.Tensors;
using TuneSharp.Tensors.Kernels;

namespace TuneSharp.Autograd;

/// <summary>
/// A tensor that takes part in differentiation. Leaves are made by the caller (<see cref="Parameter"/>,
/// <see cref="Constant"/> or the constructor) and keep their tensor and gradient until the caller drops them;
/// op outputs are owned by the <see cref="Tape"/> that made them and are released by <see cref="Tape.Backward(Variable, float)"/>
/// (all but the loss) or <see cref="Tape.Reset"/>. Values may be any dtype (frozen BF16/F16 weights, memory-mapped);
/// gradients are always F32, allocated on first accumulation and only when <see cref="RequiresGrad"/> is set —
/// so a frozen parameter never owns a gradient buffer. Leaf gradients accumulate across backward passes until
/// <see cref="ZeroGrad"/> or <see cref="ClearGrad"/>.
/// </summary>
public sealed class Variable
{
    private Tensor? _value;
    private readonly ValueOwnership _ownership;
    private Tensor? _grad;
    private bool _gradCounted;
    private bool _requiresGrad;

    /// <summary>A leaf wrapping <paramref name="value"/>; the caller keeps ownership of the tensor.</summary>
    public Variable(Tensor value, bool requiresGrad = false, string? name = null)
        : this(value, requiresGrad, name, ValueOwnership.External, isLeaf: true)
    {
    }

    internal Variable(Tensor value, bool requiresGrad, string? name, ValueOwnership ownership, bool isLeaf)
    {
        ArgumentNullException.ThrowIfNull(value);
        _value = value;
        Shape = value.Shape;
        DType = value.DType;
        _ownership = ownership;
        IsLeaf = isLeaf;
        Name = name;
        if (requiresGrad) CheckDifferentiable(value, name);
        _requiresGrad = requiresGrad;
    }

    /// <summary>A model parameter: trainable ones (F32) get gradients, frozen ones (any dtype) never do.</summary>
    public static Variable Parameter(Tensor value, bool trainable, string? name = null) => new(value, trainable, name);

    /// <summary>A leaf that never needs a gradient (inputs, masks, frozen tables).</summary>
    public static Variable Constant(Tensor value, string? name = null) => new(value, false, name);

    /// <summary>Diagnostic name (parameter path or op name).</summary>
    public string? Name { get; set; }

    /// <summary>True for variables made by the caller; false for op outputs (owned by their tape).</summary>
    public bool IsLeaf { get; }

    /// <summary>
    /// Whether a gradient flows into this variable. Settable on leaves only (freezing or unfreezing a
    /// parameter); clearing it also releases the gradient buffer. Only F32 values can require a gradient.
    /// </summary>
    public bool RequiresGrad
    {
        get => _requiresGrad;
        set
        {
            if (!IsLeaf) throw new InvalidOperationException($"RequiresGrad of op output '{Name}' is fixed by its inputs");
            if (value) CheckDifferentiable(Value, Name);
            else ClearGrad();
            _requiresGrad = value;
        }
    }

    /// <summary>The value; throws once the tape has released it.</summary>
    public Tensor Value => _value ?? throw new InvalidOperationException(
        $"the value of variable '{Name ?? "(unnamed)"}' was released by Tape.Backward/Reset; copy it before the backward pass if it is needed later");

    /// <summary>True while <see cref="Value"/> is available.</summary>
    public bool HasValue => _value != null;

    /// <summary>The value's shape (known also after the value is released).</summary>
    public Shape Shape { get; }

    /// <summary>The value's dtype.</summary>
    public DType DType { get; }

    /// <summary>The F32 gradient, or null when none has been accumulated (always null for frozen parameters).</summary>
    public Tensor? Grad => _grad;

    /// <summary>The single value of a one-element F32 tensor (e.g. the loss).</summary>
    public float Item()
    {
        var v = Value;
        if (v.ElementCount != 1) throw new InvalidOperationException($"Item() needs a one-element tensor, '{Name}' has shape {v.Shape}");
        return v.ToFloatArray()[0];
    }

    /// <summary>Fills the gradient buffer with zeros, keeping it for the next accumulation.</summary>
    public void ZeroGrad()
    {
        if (_grad != null) _grad.Span.Clear();
    }

    /// <summary>Releases the gradient buffer (the next accumulation allocates a fresh one).</summary>
    public void ClearGrad()
    {
        var g = _grad;
        if (g == null) return;
        _grad = null;
        if (_gradCounted) AutogradMemory.Free(g);
        else g.Dispose();
    }

    /// <summary>
    /// For op authors: the gradient buffer to write into. When <paramref name="accumulate"/> comes back false the
    /// buffer was just allocated uninitialised and the caller must overwrite every element; otherwise it must add.
    /// </summary>
    public Span<float> GradForWrite(out bool accumulate)
    {
        if (!_requiresGrad) throw new InvalidOperationException($"variable '{Name}' does not require a gradient");
        accumulate = _grad != null;
        if (_grad == null)
        {
            _grad = AutogradMemory.AllocateF32(Shape);
            _gradCounted = true;
        }
        return _grad.Span;
    }

    /// <summary>For op authors: grad += <paramref name="g"/> (copies on first accumulation).</summary>
    public void AccumulateGrad(ReadOnlySpan<float> g)
    {
        var dst = GradForWrite(out bool accumulate);
        if (g.Length != dst.Length) throw new ArgumentException($"gradient of {g.Length} values for variable '{Name}' of shape {Shape}");
        if (accumulate) Elementwise.AddInPlace(g, dst);
        else g.CopyTo(dst);
    }

    /// <summary>
    /// For op authors: hands a gradient tensor over instead of copying it when this variable has none yet
    /// (a residual add or reshape passes its output gradient straight through). Returns false, leaving the
    /// caller the owner, when a buffer already exists. The tensor must have this variable's element count.
    /// </summary>
    internal bool TryAdoptGrad(Tensor g, bool counted)
    {
        if (!_requiresGrad) throw new InvalidOperationException($"variable '{Name}' does not require a gradient");
        if (_grad != null) return false;
        if (g.ElementCount != Shape.ElementCount) throw new ArgumentException($"gradient {g.Shape} for variable '{Name}' of shape {Shape}");
        if (g.Shape == Shape)
        {
            _grad = g;
            _gradCounted = counted;
        }
        else
        {
            // The view keeps the storage alive after the original handle goes; the byte count moves with it.
            _grad = g.Reshape(Shape.ToArray());
            _gradCounted = counted;
            g.Dispose();
        }
        return true;
    }

    /// <summary>Takes the gradient out of this variable (the caller becomes its owner).</summary>
    internal Tensor? TakeGrad(out bool counted)
    {
        var g = _grad;
        counted = _gradCounted;
        _grad = null;
        return g;
    }

    /// <summary>Moves the value out (for checkpoint outputs); the variable is left without a value.</summary>
    internal Tensor TakeValue(out ValueOwnership ownership)
    {
        var v = Value;
        ownership = _ownership;
        _value = null;
        return v;
    }

    internal ValueOwnership Ownership => _ownership;

    /// <summary>The tape that owns this op output (null for leaves and detached values).</summary>
    internal Tape? Owner { get; set; }

    /// <summary>For a view output (reshape): the variable whose storage it shares; keeping one keeps both.</summary>
    internal Variable? ViewOf { get; init; }

    /// <summary>Releases the value if this variable owns it (op outputs); leaves keep theirs.</summary>
    internal void ReleaseValue()
    {
        var v = _value;
        if (v == null || _ownership == ValueOwnership.External) return;
        _value = null;
        if (_ownership == ValueOwnership.Counted) AutogradMemory.Free(v);
        else v.Dispose();
    }

    private static void CheckDifferentiable(Tensor value, string? name)
    {
        if (value.DType != DType.F32)
            throw new ArgumentException($"variable '{name}' is {value.DType}: only F32 tensors can require a gradient (trainable parameters are kept in F32)");
    }

    public override string ToString() =>
        $"Variable '{Name}' {(_value == null ? "(released)" : _value.Shape + " " + _value.DType)}{(_requiresGrad ? " requires_grad" : "")}";
}
