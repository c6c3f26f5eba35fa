// The safetensors dtype names and their element sizes in bits (huggingface/safetensors, safetensors/src/tensor.rs `Dtype`).
namespace TuneSharp.Tensors.IO;

/// <summary>
/// Every dtype name the safetensors crate knows, in its declaration order (increasing alignment), with the
/// element size in bits. Only F32, BF16 and F16 map to compute tensors; the others are readable as raw bytes.
/// </summary>
public static class SafeTensorsDTypes
{
    // Order matters: the writer sorts tensors by descending position here (then by name), as the crate's
    // `prepare` does, so every tensor's data starts aligned to its element size.
    private static readonly (string Name, int Bits)[] Table =
    [
        ("BOOL", 8),
        ("F4", 4),
        ("F6_E2M3", 6),
        ("F6_E3M2", 6),
        ("U8", 8),
        ("I8", 8),
        ("F8_E5M2", 8),
        ("F8_E4M3", 8),
        ("F8_E8M0", 8),
        ("I16", 16),
        ("U16", 16),
        ("F16", 16),
        ("BF16", 16),
        ("I32", 32),
        ("U32", 32),
        ("F32", 32),
        ("C64", 64),
        ("F64", 64),
        ("I64", 64),
        ("U64", 64),
    ];

    private static readonly Dictionary<string, (int Rank, int Bits)> ByName =
        Table.Select((t, i) => (t.Name, i, t.Bits)).ToDictionary(t => t.Name, t => (t.i, t.Bits), StringComparer.Ordinal);

    /// <summary>All known dtype names, in the crate's declaration order.</summary>
    public static IReadOnlyList<string> All { get; } = Table.Select(t => t.Name).ToArray();

    /// <summary>True for a dtype name the format defines (case-sensitive, like the crate).</summary>
    public static bool IsKnown(string dtype) => ByName.ContainsKey(dtype);

    /// <summary>Bits per element (4 for F4, 6 for F6_*, 8…64 for the others).</summary>
    public static bool TryGetBitSize(string dtype, out int bits)
    {
        if (ByName.TryGetValue(dtype, out var e)) { bits = e.Bits; return true; }
        bits = 0;
        return false;
    }

    /// <summary>Bits per element; throws <see cref="ArgumentException"/> for an unknown name.</summary>
    public static int BitSize(string dtype) =>
        TryGetBitSize(dtype, out int bits) ? bits : throw new ArgumentException($"unknown safetensors dtype '{dtype}' (known: {string.Join(", ", All)})", nameof(dtype));

    /// <summary>The compute dtype for F32, BF16 and F16.</summary>
    public static bool TryGetComputeDType(string dtype, out DType computeDType)
    {
        switch (dtype)
        {
            case "F32": computeDType = DType.F32; return true;
            case "BF16": computeDType = DType.BF16; return true;
            case "F16": computeDType = DType.F16; return true;
            default: computeDType = default; return false;
        }
    }

    /// <summary>Position in the crate's declaration order (higher = larger alignment); -1 when unknown.</summary>
    internal static int AlignmentRank(string dtype) => ByName.TryGetValue(dtype, out var e) ? e.Rank : -1;

    /// <summary>Byte size of <paramref name="elements"/> elements, or null on overflow or a partial trailing byte.</summary>
    internal static long? ByteSize(string dtype, long elements, out bool misaligned)
    {
        misaligned = false;
        int bits = BitSize(dtype);
        long totalBits;
        try { totalBits = checked(elements * bits); }
        catch (OverflowException) { return null; }
        if (totalBits % 8 != 0) { misaligned = true; return null; }
        return totalBits / 8;
    }
}
