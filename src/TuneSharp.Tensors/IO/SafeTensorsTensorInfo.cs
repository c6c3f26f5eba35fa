// One validated header entry of a safetensors file: dtype name, shape and where its bytes lie.
namespace TuneSharp.Tensors.IO;

/// <summary>
/// A tensor's header entry after validation. <see cref="DataBegin"/>/<see cref="DataEnd"/> are the
/// <c>data_offsets</c> (relative to the data region); <see cref="FileOffset"/> is absolute in the file.
/// Dimensions are 64-bit because the format allows any <c>usize</c>; <see cref="ToShape"/> narrows them.
/// </summary>
public sealed class SafeTensorsTensorInfo
{
    private readonly long[] _shape;
    private readonly IReadOnlyList<long> _readOnlyShape;

    internal SafeTensorsTensorInfo(string name, string dtype, long[] shape, long dataBegin, long dataEnd, long dataStart)
    {
        Name = name;
        DType = dtype;
        _shape = shape;
        _readOnlyShape = Array.AsReadOnly(shape);
        DataBegin = dataBegin;
        DataEnd = dataEnd;
        FileOffset = dataStart + dataBegin;
        long n = 1;
        foreach (var d in shape) n = checked(n * d);
        ElementCount = n;
    }

    public string Name { get; }

    /// <summary>The safetensors dtype name, e.g. "F32", "BF16", "I64", "F8_E4M3".</summary>
    public string DType { get; }

    /// <summary>Dimensions, outermost first; empty for a scalar.</summary>
    public IReadOnlyList<long> Shape => _readOnlyShape;

    /// <summary>Start of the bytes, relative to the data region (the first <c>data_offsets</c> value).</summary>
    public long DataBegin { get; }

    /// <summary>End (exclusive) of the bytes, relative to the data region.</summary>
    public long DataEnd { get; }

    /// <summary>Absolute position of the first byte in the file (8 + header length + <see cref="DataBegin"/>).</summary>
    public long FileOffset { get; }

    public long ByteLength => DataEnd - DataBegin;

    public long ElementCount { get; }

    /// <summary>The compute dtype for F32/BF16/F16, null for dtypes only readable as raw bytes.</summary>
    public DType? ComputeDType => SafeTensorsDTypes.TryGetComputeDType(DType, out var d) ? d : null;

    /// <summary>The shape as an engine <see cref="Tensors.Shape"/>; throws when a dimension exceeds int.MaxValue.</summary>
    public Shape ToShape()
    {
        var dims = new int[_shape.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            if (_shape[i] > int.MaxValue)
                throw new NotSupportedException($"tensor '{Name}' has dimension {i} = {_shape[i]}, larger than the engine's int.MaxValue limit");
            dims[i] = (int)_shape[i];
        }
        return new Shape(dims);
    }

    public override string ToString() => $"{Name}: {DType} [{string.Join(", ", _shape)}] @[{DataBegin}, {DataEnd})";
}
