// One expected checkpoint tensor: its HF name and row-major shape.
namespace TuneSharp.Models.Loading;

/// <summary>An expected tensor. <paramref name="Shape"/> is row-major as in safetensors/PyTorch, e.g. a Linear weight is (out, in).</summary>
public sealed record WeightSpec(string Name, int[] Shape)
{
    public long ElementCount => Shape.Aggregate(1L, (a, d) => a * d);

    public override string ToString() => $"{Name} [{string.Join(", ", Shape)}]";
}
