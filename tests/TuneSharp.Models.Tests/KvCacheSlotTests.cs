// Continuous-batching bookkeeping of KvCache (admit a prefilled row, free/move rows, compact) against solo generation.
using TuneSharp.Inference;
using TuneSharp.Testing;
using TuneSharp.Tokenizers;

namespace TuneSharp.Models.Tests;

public sealed class KvCacheSlotTests
{
    private static readonly Lazy<Generator> Gen = new(() => Generator.FromPretrained(SharedAssets.Require("models/tinystories-656k")));

    private sealed class Seq(int[] prompt, int target)
    {
        public int[] Prompt { get; } = prompt;
        public int Target { get; } = target;
        public List<int> Ids { get; } = [];
    }

    [Fact]
    public void SequencesAdmittedMidBatch_FreedAndCompacted_ProduceExactlyTheirSoloIds()
    {
        var gen = Gen.Value;
        var model = gen.Model;
        int v = model.Config.VocabSize;
        var seqs = new[]
        {
            new Seq(gen.Encode("Once upon a time"), 12),
            new Seq(gen.Encode("The little dog ran to the park and"), 20),
            new Seq(gen.Encode("Tom had a red ball."), 16),
            new Seq(gen.Encode("She"), 10),
        };
        // Capacity 32 < slots used over the run, so Compact must reclaim padding and freed rows' slots.
        using var cache = model.CreateCache(3, 32);
        var live = new List<Seq>();
        var done = new List<Seq>();
        int next = 0, step = 0;
        while (done.Count < seqs.Length)
        {
            // Admit at steps 0, 3, 7, … while a row is free.
            if (next < seqs.Length && live.Count < cache.Batch && step >= next * 3 + (next > 1 ? 1 : 0))
            {
                var s = seqs[next++];
                using var solo = model.CreateCache(1, s.Prompt.Length);
                var first = new float[v];
                model.Forward(solo, s.Prompt, default, first);
                cache.CopyRowFrom(solo, 0, live.Count);
                s.Ids.Add(LogitsSampler.ArgMax(first));
                live.Add(s);
                cache.ActiveRows = live.Count;
            }
            else if (live.Count > 0)
            {
                if (cache.Length + 1 > cache.Capacity) Assert.True(cache.Compact() > 0);
                var ids = live.Select(s => s.Ids[^1]).ToArray();
                var logits = new float[live.Count * v];
                model.Forward(cache, ids, default, logits);
                for (int i = 0; i < live.Count; i++) live[i].Ids.Add(LogitsSampler.ArgMax(logits.AsSpan(i * v, v)));
            }
            for (int i = live.Count - 1; i >= 0; i--)
                if (live[i].Ids.Count >= live[i].Target)
                {
                    done.Add(live[i]);
                    int last = live.Count - 1;
                    if (i != last) { cache.MoveRow(last, i); live[i] = live[last]; }
                    else cache.ResetRow(i);
                    live.RemoveAt(last);
                    if (live.Count > 0) cache.ActiveRows = live.Count;
                }
            step++;
        }
        foreach (var s in seqs)
        {
            var solo = gen.Generate(s.Prompt, new GenerationOptions { MaxNewTokens = s.Target }).GeneratedIds;
            Assert.True(solo.SequenceEqual(s.Ids.Take(solo.Length)), $"prompt [{string.Join(",", s.Prompt)}]: batched [{string.Join(",", s.Ids)}] vs solo [{string.Join(",", solo)}]");
        }
    }

    [Fact]
    public void Compact_KeepsNextStepLogits()
    {
        var gen = Gen.Value;
        var model = gen.Model;
        int v = model.Config.VocabSize;
        var a = gen.Encode("Once upon a time there was");
        var b = gen.Encode("A cat");
        using var cache = model.CreateCache(2, 64);
        // Left-padded prefill leaves masked slots in row 1.
        int t = a.Length;
        var ids = new int[2 * t];
        var mask = new int[2 * t];
        for (int i = 0; i < t; i++) { ids[i] = a[i]; mask[i] = 1; }
        for (int i = 0; i < b.Length; i++) { ids[t + t - b.Length + i] = b[i]; mask[t + t - b.Length + i] = 1; }
        var logits = new float[2 * v];
        model.Forward(cache, ids, mask, logits);
        cache.ResetRow(0);
        Assert.Equal(0, cache.UsedSlots(0));
        Assert.Equal(b.Length, cache.UsedSlots(1));
        var step = new[] { 0, LogitsSampler.ArgMax(logits.AsSpan(v, v)) };
        using var copy = model.CreateCache(2, 64);
        copy.CopyRowFrom(cache, 1, 1);
        var before = new float[2 * v];
        var after = new float[2 * v];
        model.Forward(copy, step, [0, 1], before);
        Assert.Equal(t - b.Length, cache.Compact());
        Assert.Equal(b.Length, cache.Length);
        model.Forward(cache, step, [0, 1], after);
        NumericAssert.Close(before.AsSpan(v, v).ToArray(), after.AsSpan(v, v).ToArray(), 1e-5, 1e-6, "row 1 logits after compaction");
    }
}
