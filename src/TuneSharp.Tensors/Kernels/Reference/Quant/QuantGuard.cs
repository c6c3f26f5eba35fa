// Shared argument checks for the quantized-block kernels (lengths must be whole blocks, buffers sized exactly).
namespace TuneSharp.Tensors.Kernels.Reference.Quant;

/// <summary>Validation helpers so every quant kernel reports bad lengths the same way.</summary>
internal static class QuantGuard
{
    /// <summary>Checks that <paramref name="elements"/> is a whole number of blocks and returns the block count.</summary>
    public static int Blocks(int elements, int blockSize, string format)
    {
        if (elements % blockSize != 0)
            throw new ArgumentException($"{format}: {elements} elements is not a multiple of the block size {blockSize}");
        return elements / blockSize;
    }

    public static void Bytes(int actual, long expected, string format, string what)
    {
        if (actual != expected)
            throw new ArgumentException($"{format}: {what} has {actual} bytes, expected {expected}");
    }

    public static void Length(int actual, long expected, string format, string what)
    {
        if (actual != expected)
            throw new ArgumentException($"{format}: {what} has {actual} elements, expected {expected}");
    }

    public static float Half(ReadOnlySpan<byte> b, int offset) => (float)BitConverter.UInt16BitsToHalf((ushort)(b[offset] | (b[offset + 1] << 8)));

    public static void WriteHalf(Span<byte> b, int offset, float value)
    {
        ushort bits = BitConverter.HalfToUInt16Bits((Half)value);
        b[offset] = (byte)bits;
        b[offset + 1] = (byte)(bits >> 8);
    }
}
