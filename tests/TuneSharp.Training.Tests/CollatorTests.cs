// Collation of pre-tokenized rows (TRL semantics): right padding with −100 labels, truncation, packing, JSONL errors.
using TuneSharp.Training.Sft;

namespace TuneSharp.Training.Tests;

public sealed class CollatorTests
{
    [Fact]
    public void PadsRightWithPadIdMinus100LabelsAndZeroMask()
    {
        var c = new SftCollator(8, padTokenId: 0);
        var batch = c.Collate([new TokenizedExample([5, 6, 7], [-100, 6, 7]), new TokenizedExample([9, 10], [9, 10])]);
        Assert.Equal((2, 3), (batch.Batch, batch.SeqLen));
        Assert.Equal(new[] { 5, 6, 7, 9, 10, 0 }, batch.InputIds);
        Assert.Equal(new[] { -100, 6, 7, 9, 10, -100 }, batch.Labels);
        Assert.Equal(new[] { 1, 1, 1, 1, 1, 0 }, batch.AttentionMask);
        Assert.Equal(5, batch.Tokens);
        Assert.Equal(3, batch.ScoredTokens); // after the causal shift: 6, 7 and 10
        Assert.True(batch.HasPadding);
    }

    [Fact]
    public void TruncatesToMaxSeqLength()
    {
        var c = new SftCollator(4, 0);
        var batch = c.Collate([TokenizedExample.FromIds([1, 2, 3, 4, 5, 6])]);
        Assert.Equal(4, batch.SeqLen);
        Assert.Equal(new[] { 1, 2, 3, 4 }, batch.InputIds);
        Assert.False(batch.HasPadding);
    }

    [Fact]
    public void PackingFillsRowsAndMasksExampleStarts()
    {
        var c = new SftCollator(5, 0);
        var rows = c.Pack([new TokenizedExample([1, 2, 3], [1, 2, 3]), new TokenizedExample([4, 5, 6], [-100, 5, 6]), TokenizedExample.FromIds([7, 8])]);
        Assert.Equal(2, rows.Count);
        Assert.Equal(new[] { 1, 2, 3, 4, 5 }, rows[0].InputIds);
        Assert.Equal(new[] { 1, 2, 3, -100, 5 }, rows[0].Labels);
        Assert.Equal(new[] { 6, 7, 8 }, rows[1].InputIds);
        // 7 starts a new example inside the row: never trained as the continuation of 6.
        Assert.Equal(new[] { 6, -100, 8 }, rows[1].Labels);
    }

    [Fact]
    public void JsonlDefaultsLabelsAndNamesBadRows()
    {
        var dir = TrainerTestUtil.TempDir("jsonl");
        try
        {
            var good = Path.Combine(dir, "good.jsonl");
            File.WriteAllText(good, "{\"input_ids\": [1, 2, 3]}\n\n{\"input_ids\": [4, 5], \"labels\": [-100, 5]}\n");
            var rows = TokenizedJsonl.Load(good);
            Assert.Equal(2, rows.Count);
            Assert.Equal(new[] { 1, 2, 3 }, rows[0].Labels);
            Assert.Equal(new[] { -100, 5 }, rows[1].Labels);

            var noIds = Path.Combine(dir, "noids.jsonl");
            File.WriteAllText(noIds, "{\"input_ids\": [1]}\n{\"labels\": [1, 2]}\n");
            var e = Assert.Throws<TuneSharp.Data.DataFormatException>(() => TokenizedJsonl.Load(noIds));
            Assert.Contains("noids.jsonl: row 2 (line 2)", e.Message);
            Assert.Contains("input_ids", e.Message);

            var mismatch = Path.Combine(dir, "mismatch.jsonl");
            File.WriteAllText(mismatch, "{\"input_ids\": [1, 2], \"labels\": [1]}\n");
            Assert.Contains("labels", Assert.Throws<TuneSharp.Data.DataFormatException>(() => TokenizedJsonl.Load(mismatch)).Message);

            var oov = Path.Combine(dir, "oov.jsonl");
            File.WriteAllText(oov, "{\"input_ids\": [1, 99]}\n");
            Assert.Contains("99", Assert.Throws<TuneSharp.Data.DataFormatException>(() => TokenizedJsonl.Load(oov, vocabSize: 48)).Message);
        }
        finally { TrainerTestUtil.Delete(dir); }
    }

    [Fact]
    public void AllLabelsIgnoredIsRejectedBeforeTraining()
    {
        var dir = TrainerTestUtil.TempDir("alllabels");
        try
        {
            var data = TrainerTestUtil.Data(4).Select(e => new TokenizedExample(e.InputIds, e.Labels.Select(_ => -100).ToArray())).ToList();
            var ex = Assert.Throws<TrainingSetupException>(() => TrainerTestUtil.Trainer(TrainerTestUtil.Options(dir), data));
            Assert.Contains("-100", ex.Message);
        }
        finally { TrainerTestUtil.Delete(dir); }
    }
}
