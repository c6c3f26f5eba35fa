// bfloat16: the top 16 bits of an IEEE-754 float32 (no BCL type exists in .NET 10).
using System.Runtime.CompilerServices;

namespace TuneSharp.Tensors;

/// <summary>
/// A 2-byte brain float. Widening is exact (shift left 16); narrowing rounds to nearest even
/// like PyTorch's <c>tensor.to(torch.bfloat16)</c>, and keeps NaN a (quiet) NaN.
/// </summary>
public readonly struct BFloat16 : IEquatable<BFloat16>
{
    public readonly ushort Bits;

    public BFloat16(ushort bits) => Bits = bits;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static BFloat16 FromBits(ushort bits) => new(bits);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToSingle(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort RoundFromSingle(float value)
    {
        uint u = BitConverter.SingleToUInt32Bits(value);
        if ((u & 0x7FFF_FFFFu) > 0x7F80_0000u) return (ushort)((u >> 16) | 0x0040u); // quiet NaN
        uint lsb = (u >> 16) & 1u;
        u += 0x7FFFu + lsb; // round to nearest, ties to even
        return (ushort)(u >> 16);
    }

    public static explicit operator float(BFloat16 value) => ToSingle(value.Bits);

    public static explicit operator BFloat16(float value) => new(RoundFromSingle(value));

    public bool Equals(BFloat16 other) => Bits == other.Bits;

    public override bool Equals(object? obj) => obj is BFloat16 other && Equals(other);

    public override int GetHashCode() => Bits;

    public override string ToString() => ((float)this).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
