// Fused, chunked LM head + cross-entropy (HF LlamaForCausalLM / Gemma2ForCausalLM loss with ignore_index −100 and the
// Gemma-2 final-logit softcap): never materializes (N, V) logits, only one (chunk, V) block at a time.
using System.Buffers;
using System.Runtime.Intrinsics;
using TuneSharp.Tensors.Threading;

namespace TuneSharp.Tensors.Kernels;

/// <summary>
/// hidden (N, C) F32 · weightᵀ (V, C) in F32/BF16/F16 → logits, optional softcap z = cap·tanh(x/cap), then
/// loss_i = logsumexp(z_i) − z_i[label_i] for labels ≠ −100. Backward: dlogits = (softmax − onehot)·gradScale·(1 − (z/cap)²),
/// dhidden = dlogits·W, dW += dlogitsᵀ·hidden. Labels are already shifted by the caller (label i scores hidden row i).
/// Rows with label −100 are skipped entirely (no GEMM work) and get dhidden = 0.
/// </summary>
public static unsafe partial class LmHeadCrossEntropy
{
    /// <summary>The label that marks a token as not counted (PyTorch / transformers ignore_index).</summary>
    public const int IgnoreIndex = -100;

    /// <summary>Number of labels ≠ −100.</summary>
    public static int CountTargets(ReadOnlySpan<int> labels)
    {
        int count = 0;
        foreach (int label in labels) if (label != IgnoreIndex) count++;
        return count;
    }

    /// <summary>
    /// gradScale for a mean over counted tokens, as transformers does: 1 / (count · accumulationSteps), or 0 when
    /// nothing counted (so an all-ignored batch gives zero gradients instead of NaN).
    /// </summary>
    public static float GradScaleForMean(int count, int accumulationSteps = 1)
    {
        if (accumulationSteps < 1) throw new ArgumentOutOfRangeException(nameof(accumulationSteps), accumulationSteps, "must be ≥ 1");
        return count > 0 ? 1f / ((float)count * accumulationSteps) : 0f;
    }

    /// <summary>
    /// Default rows per chunk: about 16M logits (64 MB), between 64 and 512 rows. Every chunk widens and packs all of W
    /// twice (logits = h·Wᵀ, dh = dlogits·W), so fewer, larger chunks pay for themselves: at V = 49152, C = 576 going
    /// from 160 to 320 rows cut forward+backward time by 13% (512 rows: 18%) for 30 MB more.
    /// </summary>
    public static int DefaultChunkRows(int vocab) => Math.Clamp((1 << 24) / Math.Max(1, vocab) / 16 * 16, 64, 512);

    /// <summary>
    /// Rows per chunk used for <paramref name="countedRows"/> rows when the caller leaves chunkRows at 0: as many chunks
    /// as <see cref="DefaultChunkRows"/> needs, evened out, because a ragged last chunk of a few rows would still
    /// pack all of W.
    /// </summary>
    public static int ChunkRows(int countedRows, int vocab)
    {
        if (countedRows <= 0) return 0;
        int max = Math.Min(DefaultChunkRows(vocab), countedRows);
        int chunks = (countedRows + max - 1) / max;
        return (countedRows + chunks - 1) / chunks;
    }

    // ---------------------------------------------------------------- evaluation (forward only)

    /// <summary>Loss sum and counted tokens; hidden (N, C), weight (V, C), labels (N).</summary>
    public static LmHeadCrossEntropyResult Forward(ReadOnlySpan<float> hidden, ReadOnlySpan<float> weight, ReadOnlySpan<int> labels,
        int n, int c, int v, float softCap = 0, int chunkRows = 0)
    {
        fixed (float* w = weight) return Run(hidden, w, weight.Length, DType.F32, labels, default, default, n, c, v, 0, softCap, chunkRows, backward: false, default, default, default);
    }

    /// <summary>Loss sum and counted tokens with a BF16 weight (V, C).</summary>
    public static LmHeadCrossEntropyResult Forward(ReadOnlySpan<float> hidden, ReadOnlySpan<BFloat16> weight, ReadOnlySpan<int> labels,
        int n, int c, int v, float softCap = 0, int chunkRows = 0)
    {
        fixed (BFloat16* w = weight) return Run(hidden, w, weight.Length, DType.BF16, labels, default, default, n, c, v, 0, softCap, chunkRows, backward: false, default, default, default);
    }

    /// <summary>Loss sum and counted tokens with an F16 weight (V, C).</summary>
    public static LmHeadCrossEntropyResult Forward(ReadOnlySpan<float> hidden, ReadOnlySpan<Half> weight, ReadOnlySpan<int> labels,
        int n, int c, int v, float softCap = 0, int chunkRows = 0)
    {
        fixed (Half* w = weight) return Run(hidden, w, weight.Length, DType.F16, labels, default, default, n, c, v, 0, softCap, chunkRows, backward: false, default, default, default);
    }

    // ---------------------------------------------------------------- training (forward + backward)

    /// <summary>
    /// Loss sum/count; writes dHidden (N, C) = gradScale·∂(loss sum)/∂hidden and, when dWeight (V, C) is not empty,
    /// accumulates dWeight += gradScale·∂(loss sum)/∂W. Pass gradScale = <see cref="GradScaleForMean"/>(count) for a mean.
    /// </summary>
    public static LmHeadCrossEntropyResult ForwardBackward(ReadOnlySpan<float> hidden, ReadOnlySpan<float> weight, ReadOnlySpan<int> labels,
        Span<float> dHidden, Span<float> dWeight, int n, int c, int v, float gradScale, float softCap = 0, int chunkRows = 0)
    {
        fixed (float* w = weight) return Run(hidden, w, weight.Length, DType.F32, labels, dHidden, dWeight, n, c, v, gradScale, softCap, chunkRows, backward: true, default, default, default);
    }

    /// <summary>As the F32 overload, with a BF16 weight (V, C); dWeight is still F32.</summary>
    public static LmHeadCrossEntropyResult ForwardBackward(ReadOnlySpan<float> hidden, ReadOnlySpan<BFloat16> weight, ReadOnlySpan<int> labels,
        Span<float> dHidden, Span<float> dWeight, int n, int c, int v, float gradScale, float softCap = 0, int chunkRows = 0)
    {
        fixed (BFloat16* w = weight) return Run(hidden, w, weight.Length, DType.BF16, labels, dHidden, dWeight, n, c, v, gradScale, softCap, chunkRows, backward: true, default, default, default);
    }

    /// <summary>As the F32 overload, with an F16 weight (V, C); dWeight is still F32.</summary>
    public static LmHeadCrossEntropyResult ForwardBackward(ReadOnlySpan<float> hidden, ReadOnlySpan<Half> weight, ReadOnlySpan<int> labels,
        Span<float> dHidden, Span<float> dWeight, int n, int c, int v, float gradScale, float softCap = 0, int chunkRows = 0)
    {
        fixed (Half* w = weight) return Run(hidden, w, weight.Length, DType.F16, labels, dHidden, dWeight, n, c, v, gradScale, softCap, chunkRows, backward: true, default, default, default);
    }

    // ---------------------------------------------------------------- generation

    /// <summary>Full logits (N, V) for a few rows (e.g. the last position of each sequence): hidden·Wᵀ, then softcap.</summary>
    public static void Logits(ReadOnlySpan<float> hidden, ReadOnlySpan<float> weight, Span<float> logits, int n, int c, int v, float softCap = 0)
    {
        CheckLogitArgs(hidden.Length, weight.Length, logits.Length, n, c, v, softCap);
        Gemm.MatMulTransB(hidden, weight, logits, n, v, c);
        ApplySoftCap(logits, softCap);
    }

    /// <summary>Full logits (N, V) with a BF16 weight.</summary>
    public static void Logits(ReadOnlySpan<float> hidden, ReadOnlySpan<BFloat16> weight, Span<float> logits, int n, int c, int v, float softCap = 0)
    {
        CheckLogitArgs(hidden.Length, weight.Length, logits.Length, n, c, v, softCap);
        Gemm.MatMulTransB(hidden, weight, logits, n, v, c);
        ApplySoftCap(logits, softCap);
    }

    /// <summary>Full logits (N, V) with an F16 weight.</summary>
    public static void Logits(ReadOnlySpan<float> hidden, ReadOnlySpan<Half> weight, Span<float> logits, int n, int c, int v, float softCap = 0)
    {
        CheckLogitArgs(hidden.Length, weight.Length, logits.Length, n, c, v, softCap);
        Gemm.MatMulTransB(hidden, weight, logits, n, v, c);
        ApplySoftCap(logits, softCap);
    }

    // ---------------------------------------------------------------- core

    /// <summary>
    /// The chunked core. Per-token extras (all optional, each (N)): <paramref name="rowScales"/> replaces gradScale for
    /// row i by rowScales[i]; <paramref name="rowLosses"/> receives each counted row's −log p(label) (ignored rows: 0);
    /// <paramref name="rowLogitSums"/> receives Σ_j z_ij after the softcap (ignored rows: 0).
    /// </summary>
    private static LmHeadCrossEntropyResult Run(ReadOnlySpan<float> hidden, void* weight, int weightLength, DType wType, ReadOnlySpan<int> labels,
        Span<float> dHidden, Span<float> dWeight, int n, int c, int v, float gradScale, float softCap, int chunkRows, bool backward,
        ReadOnlySpan<float> rowScales, Span<float> rowLosses, Span<float> rowLogitSums)
    {
        if (n < 0 || c <= 0 || v <= 0) throw new ArgumentException($"LmHeadCrossEntropy: need n ≥ 0, c > 0, v > 0 (got n={n}, c={c}, v={v})");
        Check("hidden", hidden.Length, (long)n * c, "N·C");
        Check("weight", weightLength, (long)v * c, "V·C");
        Check("labels", labels.Length, n, "N");
        if (!(softCap >= 0 && float.IsFinite(softCap))) throw new ArgumentOutOfRangeException(nameof(softCap), softCap, "LmHeadCrossEntropy: softCap must be finite and ≥ 0 (0 = off)");
        if (chunkRows < 0) throw new ArgumentOutOfRangeException(nameof(chunkRows), chunkRows, "LmHeadCrossEntropy: chunkRows must be ≥ 0 (0 = default)");
        if (backward)
        {
            Check("dHidden", dHidden.Length, (long)n * c, "N·C");
            if (!dWeight.IsEmpty) Check("dWeight", dWeight.Length, (long)v * c, "V·C");
            if (!float.IsFinite(gradScale)) throw new ArgumentOutOfRangeException(nameof(gradScale), gradScale, "LmHeadCrossEntropy: gradScale must be finite");
            dHidden.Clear();
        }
        if (!rowScales.IsEmpty) Check("rowScales", rowScales.Length, n, "N");
        if (!rowLosses.IsEmpty) { Check("rowLosses", rowLosses.Length, n, "N"); rowLosses.Clear(); }
        if (!rowLogitSums.IsEmpty) { Check("rowLogitSums", rowLogitSums.Length, n, "N"); rowLogitSums.Clear(); }
        int count = 0;
        for (int i = 0; i < n; i++)
        {
            int label = labels[i];
            if (label == IgnoreIndex) continue;
            if ((uint)label >= (uint)v)
                throw new ArgumentOutOfRangeException(nameof(labels), label, $"LmHeadCrossEntropy: labels[{i}] = {label} is outside [0, {v}) and not {IgnoreIndex}");
            count++;
        }
        if (count == 0) return new LmHeadCrossEntropyResult(0, 0);

        int chunk = chunkRows > 0 ? Math.Min(chunkRows, count) : ChunkRows(count, v);
        var pool = ArrayPool<float>.Shared;
        float[] logitsBuf = pool.Rent(chunk * v), hBuf = pool.Rent(chunk * c), dhBuf = backward ? pool.Rent(chunk * c) : [];
        int[] rowsBuf = ArrayPool<int>.Shared.Rent(chunk), labelBuf = ArrayPool<int>.Shared.Rent(chunk);
        double[] lossBuf = ArrayPool<double>.Shared.Rent(chunk);
        float[]? scaleBuf = rowScales.IsEmpty ? null : ArrayPool<float>.Shared.Rent(chunk);
        double[]? logitSumBuf = rowLogitSums.IsEmpty ? null : ArrayPool<double>.Shared.Rent(chunk);
        double lossSum = 0;
        try
        {
            int next = 0;
            while (next < n)
            {
                // Gather the next `chunk` counted rows (ignored rows cost nothing).
                int m = 0;
                for (; next < n && m < chunk; next++)
                {
                    if (labels[next] == IgnoreIndex) continue;
                    rowsBuf[m] = next;
                    labelBuf[m] = labels[next];
                    if (scaleBuf != null) scaleBuf[m] = rowScales[next];
                    hidden.Slice(next * c, c).CopyTo(hBuf.AsSpan(m * c, c));
                    m++;
                }
                if (m == 0) break;
                var h = hBuf.AsSpan(0, m * c);
                var logits = logitsBuf.AsSpan(0, m * v);
                switch (wType)
                {
                    case DType.F32: Gemm.MatMulTransB(h, new ReadOnlySpan<float>(weight, weightLength), logits, m, v, c); break;
                    case DType.BF16: Gemm.MatMulTransB(h, new ReadOnlySpan<BFloat16>(weight, weightLength), logits, m, v, c); break;
                    default: Gemm.MatMulTransB(h, new ReadOnlySpan<Half>(weight, weightLength), logits, m, v, c); break;
                }
                RowsLossAndGrad(logitsBuf, labelBuf, lossBuf, m, v, softCap, gradScale, backward, scaleBuf, logitSumBuf);
                for (int r = 0; r < m; r++) lossSum += lossBuf[r]; // in row order: deterministic
                if (!rowLosses.IsEmpty) for (int r = 0; r < m; r++) rowLosses[rowsBuf[r]] = (float)lossBuf[r];
                if (logitSumBuf != null) for (int r = 0; r < m; r++) rowLogitSums[rowsBuf[r]] = (float)logitSumBuf[r];
                if (!backward) continue;

                var dh = dhBuf.AsSpan(0, m * c);
                switch (wType)
                {
                    case DType.F32: Gemm.MatMul(logits, new ReadOnlySpan<float>(weight, weightLength), dh, m, v, c); break;
                    case DType.BF16: Gemm.MatMul(logits, new ReadOnlySpan<BFloat16>(weight, weightLength), dh, m, v, c); break;
                    default: Gemm.MatMul(logits, new ReadOnlySpan<Half>(weight, weightLength), dh, m, v, c); break;
                }
                for (int r = 0; r < m; r++) dh.Slice(r * c, c).CopyTo(dHidden.Slice(rowsBuf[r] * c, c));
                if (!dWeight.IsEmpty) Gemm.MatMulTransA(logits, h, dWeight, m, v, c, accumulate: true);
            }
        }
        finally
        {
            pool.Return(logitsBuf);
            pool.Return(hBuf);
            if (backward) pool.Return(dhBuf);
            ArrayPool<int>.Shared.Return(rowsBuf);
            ArrayPool<int>.Shared.Return(labelBuf);
            ArrayPool<double>.Shared.Return(lossBuf);
            if (scaleBuf != null) ArrayPool<float>.Shared.Return(scaleBuf);
            if (logitSumBuf != null) ArrayPool<double>.Shared.Return(logitSumBuf);
        }
        return new LmHeadCrossEntropyResult(lossSum, count);
    }

    /// <summary>Per row of the (m, V) chunk: softcap, log-softmax loss, and (backward) dlogits in place.</summary>
    private static void RowsLossAndGrad(float[] logits, int[] labels, double[] losses, int m, int v, float cap, float gradScale, bool backward,
        float[]? scales, double[]? logitSums)
    {
        long work = (long)m * v;
        int workers = work < (1 << 16) ? 1 : Math.Min(KernelPool.Threads, m);
        fixed (float* p = logits)
        {
            float* basePtr = p;
            KernelPool.For(workers, (w0, w1) =>
            {
                int r0 = (int)((long)m * w0 / workers), r1 = (int)((long)m * w1 / workers);
                for (int r = r0; r < r1; r++)
                {
                    float* z = basePtr + (long)r * v;
                    // The logit sum is read before backward overwrites the row with dlogits.
                    if (logitSums != null) logitSums[r] = SumCapped(z, v, cap);
                    losses[r] = Row(z, labels[r], v, cap, scales != null ? scales[r] : gradScale, backward);
                }
            });
        }
    }

    /// <summary>Σ_j cap·tanh(z_j/cap) (or Σ z_j without a cap) in double, over a row not yet capped.</summary>
    private static double SumCapped(float* z, int v, float cap)
    {
        double sum = 0;
        if (cap > 0)
            for (int j = 0; j < v; j++) sum += cap * MathF.Tanh(z[j] / cap);
        else
            for (int j = 0; j < v; j++) sum += z[j];
        return sum;
    }

    private static double Row(float* z, int label, int v, float cap, float gradScale, bool backward)
    {
        if (cap > 0)
            for (int j = 0; j < v; j++) z[j] = cap * MathF.Tanh(z[j] / cap);
        // logsumexp in F32 vectors with a double final sum: V up to 256k terms.
        float max = float.NegativeInfinity;
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vm = Vector512.Create(float.NegativeInfinity);
            for (; i + 16 <= v; i += 16) vm = Vector512.Max(vm, Vector512.Load(z + i));
            for (int l = 0; l < 16; l++) max = MathF.Max(max, vm.GetElement(l));
        }
        for (; i < v; i++) max = MathF.Max(max, z[i]);
        double sum = 0;
        i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vmax = Vector512.Create(max);
            var acc = Vector512<float>.Zero;
            for (; i + 16 <= v; i += 16)
            {
                acc += Vector512.Exp(Vector512.Load(z + i) - vmax);
                if ((i & 4095) == 4080) { sum += AttentionMicroKernels.HSum(acc); acc = Vector512<float>.Zero; }
            }
            sum += AttentionMicroKernels.HSum(acc);
        }
        for (; i < v; i++) sum += MathF.Exp(z[i] - max);
        double lse = max + Math.Log(sum);
        double loss = lse - z[label];
        if (!backward) return loss;

        // dz = softmax − onehot, times gradScale and the softcap derivative 1 − tanh² = 1 − (z/cap)².
        float lseF = (float)lse;
        float zLabel = z[label];
        i = 0;
        if (Vector512.IsHardwareAccelerated && cap == 0)
        {
            var vl = Vector512.Create(lseF);
            var vg = Vector512.Create(gradScale);
            for (; i + 16 <= v; i += 16) (Vector512.Exp(Vector512.Load(z + i) - vl) * vg).Store(z + i);
        }
        float invCap = cap > 0 ? 1f / cap : 0f;
        for (; i < v; i++)
        {
            float g = MathF.Exp(z[i] - lseF) * gradScale;
            if (cap > 0)
            {
                float t = z[i] * invCap;
                g *= 1f - t * t;
            }
            z[i] = g;
        }
        // The one-hot term, with the softcap derivative taken at the label's (saved) capped logit.
        float labelDeriv = cap > 0 ? 1f - zLabel * invCap * (zLabel * invCap) : 1f;
        z[label] -= gradScale * labelDeriv;
        return loss;
    }

    private static void Check(string name, long actual, long expected, string formula)
    {
        if (actual != expected)
            throw new ArgumentException($"LmHeadCrossEntropy: {name} has {actual} elements, expected {formula} = {expected}", name);
    }

    private static void CheckLogitArgs(int hiddenLength, int weightLength, int logitsLength, int n, int c, int v, float softCap)
    {
        if (n < 0 || c <= 0 || v <= 0) throw new ArgumentException($"LmHeadCrossEntropy.Logits: need n ≥ 0, c > 0, v > 0 (got n={n}, c={c}, v={v})");
        Check("hidden", hiddenLength, (long)n * c, "N·C");
        Check("weight", weightLength, (long)v * c, "V·C");
        Check("logits", logitsLength, (long)n * v, "N·V");
        if (!(softCap >= 0 && float.IsFinite(softCap))) throw new ArgumentOutOfRangeException(nameof(softCap), softCap, "softCap must be finite and ≥ 0 (0 = off)");
    }

    private static void ApplySoftCap(Span<float> logits, float cap)
    {
        if (cap <= 0) return;
        for (int i = 0; i < logits.Length; i++) logits[i] = cap * MathF.Tanh(logits[i] / cap);
    }
}
