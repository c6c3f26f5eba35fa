// Packing of formatted examples: fixed-length rows, −100 at example boundaries, nothing lost.
using TuneSharp.Data.Formatting;

namespace TuneSharp.Data.Tests;

public sealed class CollatorPackingTests
{
    [Fact]
    public void PacksIntoFullRowsAndMasksBoundaries()
    {
        var a = FormattedExample.Create([1, 2, 3, 4, 5], [-100, -100, 3, 4, 5]);
        var b = FormattedExample.Create([1, 7, 8], [1, 7, 8]);
        var rows = ExamplePacker.Pack([a, b, a], 6);
        Assert.Equal([6, 6, 1], rows.Select(r => r.Length));
        Assert.Equal([1, 2, 3, 4, 5, 1], rows[0].InputIds);
        Assert.Equal([-100, -100, 3, 4, 5, -100], rows[0].Labels);
        Assert.Equal([7, 8, 1, 2, 3, 4], rows[1].InputIds);
        Assert.All(rows, r => Assert.All(r.AttentionMask, m => Assert.Equal(1, m)));
    }

    [Fact]
    public void TruncateFlagsLostResponses()
    {
        var e = FormattedExample.Create([1, 2, 3, 4], [-100, -100, -100, 4]);
        var t = PromptFormatter.Truncate(e, 3);
        Assert.True(t.ResponseTruncatedAway);
        Assert.Equal(1, t.TruncatedTokens);
        Assert.False(PromptFormatter.Truncate(e, 4).ResponseTruncatedAway);
    }
}
