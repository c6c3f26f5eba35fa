// KV-cache inference path (prefill + decode): the training path's math on raw kernels, no tape, no saved activations.
using System.Buffers;
using TuneSharp.Models.Modules;
using TuneSharp.Nn;
using TuneSharp.Tensors.Kernels;
using RmsNorm = TuneSharp.Nn.RmsNorm;

namespace TuneSharp.Models;

public sealed partial class CausalLM
{
    /// <summary>A cache sized for this model.</summary>
    public KvCache CreateCache(int batch, int capacity) => new(Config, batch, capacity);

    /// <summary>
    /// Feeds T new tokens per row — ids (B·T) row-major, B = cache.Batch — appending their keys/values to the cache.
    /// <paramref name="attentionMask"/> (B·T, 0/1) marks padding (left padding for a batched prefill); empty = all
    /// real. New tokens of row b get positions NextPosition[b] + 0, 1, … (padding: 1, as HF generate). Writes the
    /// logits of each row's last token, (B, V), or with <paramref name="allPositions"/> every token's, (B·T, V).
    /// </summary>
    public void Forward(KvCache cache, ReadOnlySpan<int> ids, ReadOnlySpan<int> attentionMask, Span<float> logits, bool allPositions = false)
    {
        ArgumentNullException.ThrowIfNull(cache);
        var c = Config;
        int bsz = cache.Batch;
        if (ids.Length == 0 || ids.Length % bsz != 0) throw new ArgumentException($"{ids.Length} ids cannot be split into the cache's {bsz} rows");
        int t = ids.Length / bsz, n = ids.Length, len = cache.Length;
        if (len + t > cache.Capacity) throw new InvalidOperationException($"KV cache full: {len} + {t} tokens > capacity {cache.Capacity}");
        if (!attentionMask.IsEmpty && attentionMask.Length != n) throw new ArgumentException($"attention mask has {attentionMask.Length} entries, ids {n}");
        int rowsOut = allPositions ? n : bsz;
        if (logits.Length != (long)rowsOut * c.VocabSize) throw new ArgumentException($"logits span has {logits.Length} floats, need {rowsOut}·{c.VocabSize}");
        CheckIds(ids);

        int C = c.HiddenSize, nh = c.NumAttentionHeads, nkv = c.NumKeyValueHeads, hs = c.HeadDim;
        int qd = nh * hs, kvd = nkv * hs, f = c.IntermediateSize, half = hs / 2;
        float eps = (float)c.RmsNormEps;
        bool addOne = c.NormAddsOne;

        // Positions and the key mask for the new slots.
        var pos = new int[n];
        CausalLMInput.FillPositions(attentionMask, bsz, t, pos, cache.NextPosition);
        for (int b = 0; b < bsz; b++)
            for (int i = 0; i < t; i++)
            {
                bool real = attentionMask.IsEmpty || attentionMask[b * t + i] != 0;
                cache.KeyMask[b * cache.Capacity + len + i] = (byte)(real ? 1 : 0);
                if (real) cache.NextPosition[b]++;
            }

        var pool = ArrayPool<float>.Shared;
        float[] cos = pool.Rent(n * half), sin = pool.Rent(n * half);
        float[] x = pool.Rent(n * C), h = pool.Rent(n * C), o = pool.Rent(n * C);
        float[] q = pool.Rent(n * qd), qr = pool.Rent(n * qd), att = pool.Rent(n * qd);
        float[] k = pool.Rent(n * kvd), kr = pool.Rent(n * kvd), v = pool.Rent(n * kvd);
        float[] g = pool.Rent(n * f), u = pool.Rent(n * f);
        try
        {
            Rope.CosSin(_invFreq, pos, cos.AsSpan(0, n * half), sin.AsSpan(0, n * half));
            var cs = cos.AsSpan(0, n * half);
            var sn = sin.AsSpan(0, n * half);
            var xs = x.AsSpan(0, n * C);
            var hsp = h.AsSpan(0, n * C);
            var os = o.AsSpan(0, n * C);
            WeightMath.Embed(ids, EmbedTokens.Weight.Value, xs, EmbedTokens.Scale);
            foreach (var layer in Layers)
            {
                var a = layer.SelfAttention;
                ApplyNorm(layer.InputLayerNorm, xs, hsp, n, eps, addOne);
                var qs = q.AsSpan(0, n * qd);
                var ks = k.AsSpan(0, n * kvd);
                var vs = v.AsSpan(0, n * kvd);
                Project(a.QProj, hsp, qs, n);
                Project(a.KProj, hsp, ks, n);
                Project(a.VProj, hsp, vs, n);
                var qrs = qr.AsSpan(0, n * qd);
                var krs = kr.AsSpan(0, n * kvd);
                if (a.QNorm != null && a.KNorm != null)
                {
                    // Qwen3: per-head norm, then rotate from the normalised copy.
                    ApplyNorm(a.QNorm, qs, qrs, n * nh, eps, addOne);
                    ApplyNorm(a.KNorm, ks, krs, n * nkv, eps, addOne);
                    Rope.Forward(qrs, cs, sn, qs, n, nh, hs);
                    Rope.Forward(krs, cs, sn, ks, n, nkv, hs);
                    qs.CopyTo(qrs);
                    ks.CopyTo(krs);
                }
                else
                {
                    Rope.Forward(qs, cs, sn, qrs, n, nh, hs);
                    Rope.Forward(ks, cs, sn, krs, n, nkv, hs);
                }
                // Append k, v rows: cache (B, capacity, nkv, hs), new rows (B, T, nkv, hs).
                var kc = cache.Keys[layer.Index].AsSpan();
                var vc = cache.Values[layer.Index].AsSpan();
                for (int b = 0; b < bsz; b++)
                {
                    int dst = (b * cache.Capacity + len) * kvd;
                    krs.Slice(b * t * kvd, t * kvd).CopyTo(kc.Slice(dst, t * kvd));
                    vs.Slice(b * t * kvd, t * kvd).CopyTo(vc.Slice(dst, t * kvd));
                }
                var shape = a.Shape(bsz, t, len + t, cache.Capacity, len);
                var atts = att.AsSpan(0, n * qd);
                Attention.Forward(shape, qrs, kc, vc, cache.KeyMask, atts, default);
                Project(a.OProj, atts, os, n);
                if (layer.HasPostNorms)
                {
                    ApplyNorm(layer.PostAttentionLayerNorm, os, hsp, n, eps, addOne);
                    Elementwise.AddInPlace(hsp, xs);
                    ApplyNorm(layer.PreFeedForwardLayerNorm!, xs, hsp, n, eps, addOne);
                }
                else
                {
                    Elementwise.AddInPlace(os, xs);
                    ApplyNorm(layer.PostAttentionLayerNorm, xs, hsp, n, eps, addOne);
                }
                var gs = g.AsSpan(0, n * f);
                var us = u.AsSpan(0, n * f);
                Project(layer.Mlp.GateProj, hsp, gs, n);
                Project(layer.Mlp.UpProj, hsp, us, n);
                // act(gate)·up written over up (exact aliasing is allowed by the kernel).
                if (layer.Mlp.Activation == Models.Config.Activation.Silu) Activations.SwiGlu(gs, us, us);
                else Activations.GeGlu(gs, us, us);
                Project(layer.Mlp.DownProj, us, os, n);
                if (layer.HasPostNorms)
                {
                    ApplyNorm(layer.PostFeedForwardLayerNorm!, os, hsp, n, eps, addOne);
                    Elementwise.AddInPlace(hsp, xs);
                }
                else Elementwise.AddInPlace(os, xs);
            }
            // Final norm and LM head on the rows we need.
            var sel = hsp.Slice(0, rowsOut * C);
            if (allPositions) xs.CopyTo(os);
            else
                for (int b = 0; b < bsz; b++) xs.Slice((b * t + t - 1) * C, C).CopyTo(os.Slice(b * C, C));
            ApplyNorm(Norm, os.Slice(0, rowsOut * C), sel, rowsOut, eps, addOne);
            WeightMath.Logits(sel, LmHead.Weight.Value, logits, rowsOut, C, c.VocabSize, (float)(c.FinalLogitSoftcapping ?? 0));
            cache.Length = len + t;
        }
        finally
        {
            foreach (var arr in new[] { cos, sin, x, h, o, q, qr, att, k, kr, v, g, u }) pool.Return(arr);
        }
    }

    private static void ApplyNorm(RmsNorm norm, ReadOnlySpan<float> x, Span<float> y, int rows, float eps, bool addOne) =>
        RmsNorm_(x, norm.Weight.Value.Span, y, rows, norm.Dim, eps, addOne);

    private static void RmsNorm_(ReadOnlySpan<float> x, ReadOnlySpan<float> w, Span<float> y, int rows, int cols, float eps, bool addOne) =>
        TuneSharp.Tensors.Kernels.RmsNorm.Forward(x, w, y, default, rows, cols, eps, addOne);

    private static void Project(Linear lin, ReadOnlySpan<float> x, Span<float> y, int m)
    {
        if (lin.Lora is { Merged: false })
            throw new NotSupportedException($"{lin.Name}: the KV-cache path needs merged LoRA adapters (merge before generating)");
        WeightMath.MatMulTransB(x, lin.Weight.Value, y, m);
        if (lin.Bias != null)
        {
            var bias = lin.Bias.Value.Span;
            int nOut = lin.OutFeatures;
            for (int r = 0; r < m; r++) Elementwise.AddInPlace(bias, y.Slice(r * nOut, nOut));
        }
    }
}
