// Per-token rotary cos/sin rows (N, D/2) built once per batch and shared by every layer's q and k rotations.
using TuneSharp.Tensors;
using TuneSharp.Tensors.Kernels;

namespace TuneSharp.Autograd;

/// <summary>
/// cos/sin tables for token positions (N) and inverse frequencies (D/2) from <see cref="Rope.InverseFrequencies"/>
/// (HF rotate_half convention, llama3 scaling baked into the frequencies). Build one per batch; dispose after
/// the backward pass (ops keep a reference, not a copy).
/// </summary>
public sealed class RopeTable : IDisposable
{
    private Tensor? _cos, _sin;

    public RopeTable(ReadOnlySpan<int> positions, ReadOnlySpan<float> inverseFrequencies)
    {
        Tokens = positions.Length;
        HalfDim = inverseFrequencies.Length;
        _cos = AutogradMemory.AllocateF32(new Shape(Tokens, HalfDim));
        _sin = AutogradMemory.AllocateF32(new Shape(Tokens, HalfDim));
        Rope.CosSin(inverseFrequencies, positions, _cos.Span, _sin.Span);
    }

    /// <summary>N: tokens (B·T).</summary>
    public int Tokens { get; }

    /// <summary>D/2: half the rotated head dimension.</summary>
    public int HalfDim { get; }

    public ReadOnlySpan<float> Cos => (_cos ?? throw new ObjectDisposedException(nameof(RopeTable))).Span;

    public ReadOnlySpan<float> Sin => (_sin ?? throw new ObjectDisposedException(nameof(RopeTable))).Span;

    public void Dispose()
    {
        if (_cos != null) AutogradMemory.Free(_cos);
        if (_sin != null) AutogradMemory.Free(_sin);
        _cos = _sin = null;
    }
}
