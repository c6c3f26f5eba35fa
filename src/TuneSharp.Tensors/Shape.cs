// Tensor shape: dimensions outermost first (row-major), e.g. (B, T, C).
using System.Collections;

namespace TuneSharp.Tensors;

/// <summary>An immutable list of dimensions, outermost first.</summary>
public readonly struct Shape : IEquatable<Shape>, IReadOnlyList<int>
{
    private readonly int[]? _dims;

    public Shape(params int[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        foreach (var d in dims)
            if (d < 0) throw new ArgumentException($"negative dimension in shape ({string.Join(", ", dims)})", nameof(dims));
        _dims = (int[])dims.Clone();
    }

    public int Rank => _dims?.Length ?? 0;

    public int Count => Rank;

    public int this[int index] => index < 0 ? _dims![Rank + index] : _dims![index];

    /// <summary>Product of the dimensions (1 for a scalar); <see cref="OverflowException"/> past 2^63.</summary>
    public long ElementCount
    {
        get
        {
            long n = 1;
            // checked: a wrapped product could make an absurd shape look small enough to fit its storage
            if (_dims != null) foreach (var d in _dims) n = checked(n * d);
            return n;
        }
    }

    public int[] ToArray() => _dims is null ? [] : (int[])_dims.Clone();

    public bool Equals(Shape other) => AsSpan().SequenceEqual(other.AsSpan());

    public ReadOnlySpan<int> AsSpan() => _dims;

    public override bool Equals(object? obj) => obj is Shape s && Equals(s);

    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var d in AsSpan()) h.Add(d);
        return h.ToHashCode();
    }

    public static bool operator ==(Shape a, Shape b) => a.Equals(b);

    public static bool operator !=(Shape a, Shape b) => !a.Equals(b);

    public IEnumerator<int> GetEnumerator() => ((IEnumerable<int>)(_dims ?? [])).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => "(" + string.Join(", ", _dims ?? []) + ")";
}
