// A tensor entry of a GGUF file: name, dims (innermost first, as ggml ne[]), ggml type, offset relative to the data section.
namespace TuneSharp.Tensors.IO.Gguf;

public sealed record GgufTensorInfo(string Name, long[] Dims, GgmlType Type, long Offset)
{
    public long ElementCount => Dims.Aggregate(1L, (a, b) => a * b);
}
