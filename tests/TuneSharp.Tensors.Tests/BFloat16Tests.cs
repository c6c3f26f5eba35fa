// BFloat16 narrowing against PyTorch 1.13 (`torch.tensor(x).to(torch.bfloat16)`, values computed offline):
// round to nearest even, overflow to ±Inf, subnormals, NaN stays NaN; widening is exact. Half (F16) likewise.
namespace TuneSharp.Tensors.Tests;

public sealed class BFloat16Tests
{
    [Theory]
    [InlineData(0x3F800000u, (ushort)0x3F80)] // 1.0
    [InlineData(0x3F808000u, (ushort)0x3F80)] // tie, even stays
    [InlineData(0x3F818000u, (ushort)0x3F82)] // tie, odd rounds up
    [InlineData(0x3F808001u, (ushort)0x3F81)] // just above the tie
    [InlineData(0x3F80FFFFu, (ushort)0x3F81)]
    [InlineData(0x7F7FFFFFu, (ushort)0x7F80)] // float max → +Inf
    [InlineData(0xFF7FFFFFu, (ushort)0xFF80)] // → -Inf
    [InlineData(0x7F7F8000u, (ushort)0x7F80)] // tie at the top → Inf
    [InlineData(0x7F7F7FFFu, (ushort)0x7F7F)] // largest finite BF16
    [InlineData(0x7F800000u, (ushort)0x7F80)] // +Inf
    [InlineData(0xFF800000u, (ushort)0xFF80)] // -Inf
    [InlineData(0x00000001u, (ushort)0x0000)] // smallest subnormal → 0
    [InlineData(0x00008000u, (ushort)0x0000)] // subnormal tie → even (0)
    [InlineData(0x00018000u, (ushort)0x0002)] // subnormal tie → even (2)
    [InlineData(0x007FFFFFu, (ushort)0x0080)] // largest subnormal rounds up to the smallest normal
    [InlineData(0x80000001u, (ushort)0x8000)] // -tiny → -0
    [InlineData(0x80000000u, (ushort)0x8000)] // -0
    [InlineData(0x33800000u, (ushort)0x3380)]
    public void NarrowingMatchesPyTorch(uint floatBits, ushort expected)
    {
        float x = BitConverter.UInt32BitsToSingle(floatBits);
        Assert.Equal(expected, BFloat16.RoundFromSingle(x));
        Assert.Equal(expected, ((BFloat16)x).Bits);
    }

    [Theory]
    [InlineData(0x7FC00000u)]
    [InlineData(0x7F800001u)] // signalling NaN whose payload lives in the low bits only: must not become Inf
    [InlineData(0xFFC00001u)]
    [InlineData(0x7FFFFFFFu)]
    public void NaNStaysNaN(uint floatBits)
    {
        float x = BitConverter.UInt32BitsToSingle(floatBits);
        var b = (BFloat16)x;
        Assert.True(float.IsNaN((float)b));
        Assert.NotEqual(0, b.Bits & 0x0040); // quiet bit set
    }

    [Fact]
    public void WideningIsExactForEveryBitPattern()
    {
        for (int bits = 0; bits <= ushort.MaxValue; bits++)
        {
            float f = BFloat16.ToSingle((ushort)bits);
            Assert.Equal((uint)bits << 16, BitConverter.SingleToUInt32Bits(f));
            if (!float.IsNaN(f)) Assert.Equal((ushort)bits, BFloat16.RoundFromSingle(f)); // and narrowing it back is the identity
        }
    }

    [Fact]
    public void ValueSemantics()
    {
        var a = BFloat16.FromBits(0x3F80);
        Assert.Equal(new BFloat16(0x3F80), a);
        Assert.Equal(a.GetHashCode(), new BFloat16(0x3F80).GetHashCode());
        Assert.Equal("1", a.ToString());
        Assert.Equal("-2.5", ((BFloat16)(-2.5f)).ToString());
    }

    [Theory]
    [InlineData(0x3F800000u, (ushort)0x3C00)] // 1.0
    [InlineData(0x3F801000u, (ushort)0x3C00)] // tie, even stays
    [InlineData(0x3F803000u, (ushort)0x3C02)] // tie, odd rounds up
    [InlineData(0x3F802000u, (ushort)0x3C01)]
    [InlineData(0x477FF000u, (ushort)0x7C00)] // 65520 → Inf
    [InlineData(0x477FEFFFu, (ushort)0x7BFF)] // just below → 65504
    [InlineData(0x33800000u, (ushort)0x0001)] // 2^-24, smallest subnormal
    [InlineData(0x33000001u, (ushort)0x0001)] // just above half of it
    [InlineData(0x33000000u, (ushort)0x0000)] // exactly half → even (0)
    [InlineData(0x387FC000u, (ushort)0x03FF)] // largest subnormal
    [InlineData(0x38800000u, (ushort)0x0400)] // smallest normal
    [InlineData(0x7F800000u, (ushort)0x7C00)]
    public void HalfNarrowingMatchesPyTorch(uint floatBits, ushort expected)
    {
        float x = BitConverter.UInt32BitsToSingle(floatBits);
        using var t = Tensor.FromArray([x], 1);
        using var h = t.To(DType.F16);
        Assert.Equal(expected, h.AsSpan<ushort>()[0]);
    }
}
