// Tensor storage in a pooled managed byte array (activations, gradients, optimizer state).
using System.Buffers;

namespace TuneSharp.Tensors;

/// <summary>Storage rented from <see cref="TensorPool"/>; returned on the last release.</summary>
public sealed class ManagedStorage : TensorStorage
{
    private byte[]? _array;
    private readonly long _length;

    internal ManagedStorage(long byteLength, bool clear)
    {
        if (byteLength > Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(byteLength), $"tensor of {byteLength} bytes exceeds the managed array limit");
        _length = byteLength;
        _array = TensorPool.Rent((int)byteLength);
        if (clear) _array.AsSpan(0, (int)byteLength).Clear();
    }

    public override long ByteLength => _length;

    public override bool IsMemoryMapped => false;

    public override Span<byte> GetBytes(long offset, int length)
    {
        var array = _array ?? throw new ObjectDisposedException(nameof(ManagedStorage));
        return array.AsSpan(checked((int)offset), length);
    }

    protected override void Free()
    {
        var array = Interlocked.Exchange(ref _array, null);
        if (array != null) TensorPool.Return(array);
    }
}
