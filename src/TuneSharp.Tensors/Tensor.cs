// The n-dimensional array of the engine: shape, dtype and a contiguous row-major byte region.
using System.Runtime.InteropServices;

namespace TuneSharp.Tensors;

/// <summary>
/// A contiguous row-major tensor. Storage is pooled managed memory or a memory-mapped file region;
/// <see cref="Reshape"/> and <see cref="Slice"/> (leading dimension) return views sharing storage;
/// transposes are explicit copies (<see cref="Transpose2D"/>). Dispose returns pooled memory once
/// the tensor and all its views are disposed (undisposed ones are simply collected by the GC).
/// </summary>
public sealed class Tensor : IDisposable
{
    private TensorStorage? _storage;
    private readonly long _byteOffset;

    private Tensor(TensorStorage storage, long byteOffset, Shape shape, DType dtype)
    {
        _storage = storage;
        _byteOffset = byteOffset;
        Shape = shape;
        DType = dtype;
        long bytes = shape.ElementCount * dtype.Size();
        if (byteOffset < 0 || byteOffset + bytes > storage.ByteLength)
            throw new ArgumentException($"tensor {shape} {dtype} at byte {byteOffset} does not fit its {storage.ByteLength}-byte storage");
    }

    public Shape Shape { get; }

    public DType DType { get; }

    public int Rank => Shape.Rank;

    public long ElementCount => Shape.ElementCount;

    public long ByteLength => ElementCount * DType.Size();

    /// <summary>True when the data lives in a memory-mapped file (read-only: writing throws or faults).</summary>
    public bool IsMemoryMapped => Storage.IsMemoryMapped;

    public TensorStorage Storage => _storage ?? throw new ObjectDisposedException(nameof(Tensor));

    /// <summary>A new uninitialised tensor in pooled memory.</summary>
    public static Tensor Empty(DType dtype, params int[] shape) => Allocate(dtype, new Shape(shape), clear: false);

    /// <summary>A new zero-filled tensor in pooled memory.</summary>
    public static Tensor Zeros(DType dtype, params int[] shape) => Allocate(dtype, new Shape(shape), clear: true);

    /// <summary>A new F32 zero-filled tensor.</summary>
    public static Tensor Zeros(params int[] shape) => Zeros(DType.F32, shape);

    /// <summary>A new F32 tensor holding a copy of <paramref name="data"/>.</summary>
    public static Tensor FromArray(ReadOnlySpan<float> data, params int[] shape)
    {
        var s = new Shape(shape);
        if (s.ElementCount != data.Length) throw new ArgumentException($"{data.Length} values do not fill shape {s}");
        var t = Allocate(DType.F32, s, clear: false);
        data.CopyTo(t.AsSpan<float>());
        return t;
    }

    /// <summary>A new BF16 tensor rounded from F32 values.</summary>
    public static Tensor FromArrayBf16(ReadOnlySpan<float> data, params int[] shape)
    {
        var s = new Shape(shape);
        if (s.ElementCount != data.Length) throw new ArgumentException($"{data.Length} values do not fill shape {s}");
        var t = Allocate(DType.BF16, s, clear: false);
        var dst = t.AsSpan<BFloat16>();
        for (int i = 0; i < data.Length; i++) dst[i] = (BFloat16)data[i];
        return t;
    }

    /// <summary>Wraps bytes of a storage (e.g. a memory-mapped file region) as a tensor; takes a reference.</summary>
    public static Tensor FromStorage(TensorStorage storage, long byteOffset, Shape shape, DType dtype)
    {
        storage.AddRef();
        try
        {
            return new Tensor(storage, byteOffset, shape, dtype);
        }
        catch
        {
            storage.Release(); // the shape did not fit: give the reference back
            throw;
        }
    }

    private static Tensor Allocate(DType dtype, Shape shape, bool clear)
    {
        // The tensor takes its own reference; dropping the creator's keeps the count equal to the holders.
        using var storage = new ManagedStorage(shape.ElementCount * dtype.Size(), clear);
        return FromStorage(storage, 0, shape, dtype);
    }

    /// <summary>The raw bytes of this tensor.</summary>
    public Span<byte> AsBytes() => Storage.GetBytes(_byteOffset, checked((int)ByteLength));

    /// <summary>Typed view of the data: float for F32, <see cref="BFloat16"/> for BF16, <see cref="Half"/> for F16.</summary>
    public Span<T> AsSpan<T>() where T : unmanaged
    {
        CheckElementType<T>();
        long count = ElementCount;
        if (count > int.MaxValue) throw new InvalidOperationException($"tensor {Shape} has more than 2^31 elements");
        return MemoryMarshal.Cast<byte, T>(Storage.GetBytes(_byteOffset, checked((int)ByteLength)));
    }

    /// <summary>The F32 data (throws for other dtypes).</summary>
    public Span<float> Span => AsSpan<float>();

    /// <summary>A view with another shape of the same element count.</summary>
    public Tensor Reshape(params int[] shape)
    {
        int infer = Array.IndexOf(shape, -1);
        if (infer >= 0)
        {
            long known = 1;
            for (int i = 0; i < shape.Length; i++) if (i != infer) known *= shape[i];
            if (known == 0 || ElementCount % known != 0) throw new ArgumentException($"cannot reshape {Shape} to ({string.Join(", ", shape)})");
            shape = (int[])shape.Clone();
            shape[infer] = (int)(ElementCount / known);
        }
        var s = new Shape(shape);
        if (s.ElementCount != ElementCount) throw new ArgumentException($"cannot reshape {Shape} ({ElementCount} elements) to {s}");
        return FromStorage(Storage, _byteOffset, s, DType);
    }

    /// <summary>A view of rows [start, start + length) along the leading dimension.</summary>
    public Tensor Slice(int start, int length)
    {
        if (Rank == 0) throw new InvalidOperationException("cannot slice a scalar");
        int d0 = Shape[0];
        if (start < 0 || length < 0 || (long)start + length > d0) throw new ArgumentOutOfRangeException(nameof(start), $"slice [{start}, {start + length}) of leading dimension {d0}");
        var dims = Shape.ToArray();
        long rowBytes = ElementCount / Math.Max(1, d0) * DType.Size();
        if (d0 == 0) rowBytes = 0;
        dims[0] = length;
        return FromStorage(Storage, _byteOffset + start * rowBytes, new Shape(dims), DType);
    }

    /// <summary>A copy with the last two dimensions swapped.</summary>
    public Tensor Transpose2D()
    {
        if (Rank < 2) throw new InvalidOperationException($"Transpose2D needs rank ≥ 2, got {Shape}");
        int rows = Shape[-2], cols = Shape[-1];
        var dims = Shape.ToArray();
        dims[^2] = cols;
        dims[^1] = rows;
        var result = Empty(DType, dims);
        long batches = ElementCount / Math.Max(1L, (long)rows * cols);
        int es = DType.Size();
        var src = AsBytes();
        var dst = result.AsBytes();
        for (long b = 0; b < batches; b++)
        {
            int baseOffset = checked((int)(b * rows * cols));
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < cols; c++)
                    src.Slice((baseOffset + r * cols + c) * es, es).CopyTo(dst.Slice((baseOffset + c * rows + r) * es, es));
        }
        return result;
    }

    /// <summary>A pooled copy converted to <paramref name="dtype"/> (BF16 rounds to nearest even).</summary>
    public Tensor To(DType dtype)
    {
        var result = Empty(dtype, Shape.ToArray());
        if (dtype == DType)
        {
            AsBytes().CopyTo(result.AsBytes());
            return result;
        }
        int n = checked((int)ElementCount);
        Span<float> tmp = dtype == DType.F32 ? result.AsSpan<float>() : new float[n];
        switch (DType)
        {
            case DType.F32: AsSpan<float>().CopyTo(tmp); break;
            case DType.BF16: { var s = AsSpan<BFloat16>(); for (int i = 0; i < n; i++) tmp[i] = (float)s[i]; break; }
            case DType.F16: { var s = AsSpan<Half>(); for (int i = 0; i < n; i++) tmp[i] = (float)s[i]; break; }
        }
        switch (dtype)
        {
            case DType.BF16: { var d = result.AsSpan<BFloat16>(); for (int i = 0; i < n; i++) d[i] = (BFloat16)tmp[i]; break; }
            case DType.F16: { var d = result.AsSpan<Half>(); for (int i = 0; i < n; i++) d[i] = (Half)tmp[i]; break; }
        }
        return result;
    }

    /// <summary>A pooled copy with the same dtype.</summary>
    public Tensor Clone() => To(DType);

    /// <summary>All values widened to a new float array (for tests and small tensors).</summary>
    public float[] ToFloatArray()
    {
        if (DType == DType.F32) return AsSpan<float>().ToArray();
        using var f = To(DType.F32);
        return f.AsSpan<float>().ToArray();
    }

    private void CheckElementType<T>() where T : unmanaged
    {
        bool ok = DType switch
        {
            DType.F32 => typeof(T) == typeof(float),
            DType.BF16 => typeof(T) == typeof(BFloat16) || typeof(T) == typeof(ushort),
            DType.F16 => typeof(T) == typeof(Half) || typeof(T) == typeof(ushort),
            _ => false,
        };
        if (!ok) throw new InvalidOperationException($"tensor of dtype {DType} cannot be viewed as {typeof(T).Name}");
    }

    public void Dispose()
    {
        var storage = Interlocked.Exchange(ref _storage, null);
        storage?.Release();
    }

    public override string ToString() => $"Tensor{Shape} {DType}{(IsMemoryMapped ? " mmap" : "")}";
}
