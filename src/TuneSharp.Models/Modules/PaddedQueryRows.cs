// HF eager-attention behaviour for query rows that see no key (left padding): a uniform average of every value row.
using TuneSharp.Autograd;
using TuneSharp.Tensors;
using AttentionShape = TuneSharp.Tensors.Kernels.AttentionShape;

namespace TuneSharp.Models.Modules;

/// <summary>
/// transformers adds finfo(float32).min to masked scores; for a query whose every visible key is padding all Tk
/// scores collapse to the same value, so softmax is uniform over ALL keys (future ones included) and the row
/// outputs mean_j v[j]. Our kernel outputs zeros there. Those rows are "implementation-defined" for logits, but a
/// left-padded row's last pad position predicts the first real token, which HF counts in the loss — so the training
/// path reproduces HF exactly: o[b, i, h] = (1/Tk)·Σ_j v[b, j, h / group] for fully masked rows. Autograd in torch
/// does not know the scores were absorbed by the mask constant, so its backward is that of a uniform softmax:
/// ds_j = (u_j − mean u)/Tk with u_j = dO·v_j, flowing through the softcap and scale into q and every k_j; we match it.
/// </summary>
internal static class PaddedQueryRows
{
    /// <summary>(B·Tq) flags: 1 where the query row sees no unmasked key; null when there is none.</summary>
    public static bool[]? Find(in AttentionShape s, byte[]? keyMask)
    {
        if (keyMask is null) return null;
        bool[]? rows = null;
        for (int b = 0; b < s.Batch; b++)
            for (int i = 0; i < s.QueryLength; i++)
            {
                bool any = false;
                for (int j = 0; j < s.KeyLength && !any; j++)
                    any = s.Visible(i, j) && keyMask[b * s.KeyLength + j] != 0;
                if (!any) (rows ??= new bool[s.Batch * s.QueryLength])[b * s.QueryLength + i] = true;
            }
        return rows;
    }

    /// <summary>a: attention output (B·Tq, nh·hs), v: (B·Tk, nkv·hs) → a with fully masked rows replaced.</summary>
    public static Variable Apply(Tape tape, Variable a, Variable q, Variable k, Variable v, AttentionShape s, bool[] rows, string name)
    {
        bool needs = tape.NeedsGrad(a, v) || tape.NeedsGrad(q, k);
        var o = AutogradMemory.AllocateF32(a.Shape);
        a.Value.Span.CopyTo(o.Span);
        Forward(s, rows, v.Value.Span, o.Span);
        var output = tape.CreateOutput(o, needs, name);
        if (needs) tape.Record(new Node(output, a, q, k, v, s, rows));
        return output;
    }

    private static void Forward(AttentionShape s, bool[] rows, ReadOnlySpan<float> v, Span<float> o)
    {
        int hs = s.HeadSize, nh = s.Heads, nkv = s.KvHeads, g = s.GroupSize, tk = s.KeyLength, tq = s.QueryLength;
        float inv = 1f / tk;
        var mean = new float[nkv * hs];
        for (int b = 0; b < s.Batch; b++)
        {
            bool any = false;
            for (int i = 0; i < tq; i++) any |= rows[b * tq + i];
            if (!any) continue;
            Array.Clear(mean);
            for (int j = 0; j < tk; j++)
            {
                var vr = v.Slice((b * tk + j) * nkv * hs, nkv * hs);
                for (int e = 0; e < mean.Length; e++) mean[e] += vr[e];
            }
            for (int e = 0; e < mean.Length; e++) mean[e] *= inv;
            for (int i = 0; i < tq; i++)
            {
                if (!rows[b * tq + i]) continue;
                var orow = o.Slice((b * tq + i) * nh * hs, nh * hs);
                for (int h = 0; h < nh; h++) mean.AsSpan((h / g) * hs, hs).CopyTo(orow.Slice(h * hs, hs));
            }
        }
    }

    private sealed class Node(Variable output, Variable a, Variable q, Variable k, Variable v, AttentionShape s, bool[] rows) : TapeNode(output)
    {
        public override string OpName => "PaddedQueryRows";

        protected override void CollectSaved(ISet<Variable> saved)
        {
            saved.Add(q);
            saved.Add(k);
            saved.Add(v);
        }

        protected override void Backward()
        {
            var dO = Output.Grad!.Span;
            int hs = s.HeadSize, nh = s.Heads, nkv = s.KvHeads, g = s.GroupSize, tk = s.KeyLength, tq = s.QueryLength;
            if (a.RequiresGrad)
            {
                var tmp = dO.ToArray();
                for (int r = 0; r < rows.Length; r++)
                    if (rows[r]) Array.Clear(tmp, r * nh * hs, nh * hs);
                a.AccumulateGrad(tmp);
            }
            if (v.RequiresGrad)
            {
                var dv = new float[v.Shape.ElementCount];
                float inv = 1f / tk;
                var sum = new float[nkv * hs];
                for (int b = 0; b < s.Batch; b++)
                {
                    Array.Clear(sum);
                    bool any = false;
                    for (int i = 0; i < tq; i++)
                    {
                        if (!rows[b * tq + i]) continue;
                        any = true;
                        var drow = dO.Slice((b * tq + i) * nh * hs, nh * hs);
                        for (int h = 0; h < nh; h++)
                            for (int e = 0; e < hs; e++) sum[(h / g) * hs + e] += drow[h * hs + e];
                    }
                    if (!any) continue;
                    for (int j = 0; j < tk; j++)
                        for (int e = 0; e < sum.Length; e++) dv[(b * tk + j) * nkv * hs + e] = sum[e] * inv;
                }
                v.AccumulateGrad(dv);
            }
            if (q.RequiresGrad || k.RequiresGrad) ScoreGradients(dO);
        }

        /// <summary>Uniform-softmax backward into q (pad rows) and k (all keys of the batch row).</summary>
        private void ScoreGradients(ReadOnlySpan<float> dO)
        {
            int hs = s.HeadSize, nh = s.Heads, nkv = s.KvHeads, g = s.GroupSize, tk = s.KeyLength, tq = s.QueryLength;
            var qs = q.Value.Span;
            var ks = k.Value.Span;
            var vs = v.Value.Span;
            var dq = new float[q.Shape.ElementCount];
            var dk = new float[k.Shape.ElementCount];
            var u = new double[tk];
            float cap = s.SoftCap;
            for (int b = 0; b < s.Batch; b++)
                for (int i = 0; i < tq; i++)
                {
                    if (!rows[b * tq + i]) continue;
                    for (int h = 0; h < nh; h++)
                    {
                        int qo = ((b * tq + i) * nh + h) * hs, kvh = h / g;
                        var d = dO.Slice(qo, hs);
                        double mean = 0;
                        for (int j = 0; j < tk; j++)
                        {
                            var vr = vs.Slice(((b * tk + j) * nkv + kvh) * hs, hs);
                            double acc = 0;
                            for (int e = 0; e < hs; e++) acc += d[e] * vr[e];
                            u[j] = acc;
                            mean += acc;
                        }
                        mean /= tk;
                        for (int j = 0; j < tk; j++)
                        {
                            int ko = ((b * tk + j) * nkv + kvh) * hs;
                            double ds = (u[j] - mean) / tk;
                            if (cap > 0)
                            {
                                double raw = 0;
                                for (int e = 0; e < hs; e++) raw += qs[qo + e] * ks[ko + e];
                                double t = Math.Tanh(raw * s.Scale / cap);
                                ds *= 1 - t * t;
                            }
                            float dqk = (float)(ds * s.Scale);
                            for (int e = 0; e < hs; e++)
                            {
                                dq[qo + e] += dqk * ks[ko + e];
                                dk[ko + e] += dqk * qs[qo + e];
                            }
                        }
                    }
                }
            if (q.RequiresGrad) q.AccumulateGrad(dq);
            if (k.RequiresGrad) k.AccumulateGrad(dk);
        }
    }
}
