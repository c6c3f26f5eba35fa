// Shape: value semantics, negative indexing, element counts and invalid dimensions.
namespace TuneSharp.Tensors.Tests;

public sealed class ShapeTests
{
    [Fact]
    public void BasicProperties()
    {
        var s = new Shape(2, 3, 4);
        Assert.Equal(3, s.Rank);
        Assert.Equal(24, s.ElementCount);
        Assert.Equal(4, s[-1]);
        Assert.Equal(2, s[0]);
        Assert.Equal("(2, 3, 4)", s.ToString());
        Assert.Equal([2, 3, 4], s.ToArray());
        Assert.Equal([2, 3, 4], s.ToList());
    }

    [Fact]
    public void ScalarAndDefault()
    {
        var scalar = new Shape();
        Assert.Equal(0, scalar.Rank);
        Assert.Equal(1, scalar.ElementCount);
        Shape d = default;
        Assert.Equal(0, d.Rank);
        Assert.Equal(1, d.ElementCount);
        Assert.Equal(scalar, d);
        Assert.Equal("()", d.ToString());
        Assert.Empty(d.ToArray());
    }

    [Fact]
    public void EqualityAndHashing()
    {
        Assert.Equal(new Shape(2, 3), new Shape(2, 3));
        Assert.True(new Shape(2, 3) == new Shape(2, 3));
        Assert.True(new Shape(2, 3) != new Shape(3, 2));
        Assert.NotEqual(new Shape(6), new Shape(2, 3));
        Assert.Equal(new Shape(2, 3).GetHashCode(), new Shape(2, 3).GetHashCode());
    }

    [Fact]
    public void IsImmutable()
    {
        int[] dims = [2, 3];
        var s = new Shape(dims);
        dims[0] = 99;
        Assert.Equal(2, s[0]);
        var copy = s.ToArray();
        copy[1] = 99;
        Assert.Equal(3, s[1]);
    }

    [Fact]
    public void ZeroDimensionsGiveZeroElements() => Assert.Equal(0, new Shape(5, 0, 7).ElementCount);

    [Fact]
    public void InvalidDimensions()
    {
        Assert.Throws<ArgumentException>(() => new Shape(2, -1));
        Assert.Throws<ArgumentNullException>(() => new Shape(null!));
        Assert.Throws<IndexOutOfRangeException>(() => new Shape(2, 3)[2]);
        // A product past 2^63 must not wrap around to a small (or zero) element count.
        Assert.Throws<OverflowException>(() => new Shape(65536, 65536, 65536, 65536).ElementCount);
        Assert.Equal((long)int.MaxValue * int.MaxValue, new Shape(int.MaxValue, int.MaxValue).ElementCount);
    }
}
