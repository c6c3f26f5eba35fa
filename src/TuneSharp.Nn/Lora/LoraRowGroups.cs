// Multi-adapter batches: LoRA side paths applied to the rows of each sequence with that sequence's adapter
// (vLLM multi-LoRA / PEFT mixed-batch inference semantics: row r uses adapter of sequence r / rowsPerSequence).
using System.Buffers;
using TuneSharp.Tensors.Kernels;

namespace TuneSharp.Nn.Lora;

/// <summary>
/// Inference-only (nothing is recorded): rows of x (N, in) are grouped by adapter, each group is gathered into a
/// contiguous block, and y (N, out) += scaling·(x_g·Aᵀ)·Bᵀ is scattered back — one pair of small GEMMs per adapter
/// and step, so requests for different adapters share one batched decode.
/// </summary>
internal static class LoraRowGroups
{
    /// <summary>Row indices per adapter name (rows of sequences whose adapter is null or absent are skipped).</summary>
    public static List<(LoraAdapter Adapter, int[] Rows)> Groups(IReadOnlyList<string?> sequences, int rows, string module,
        IReadOnlyDictionary<string, LoraAdapter> adapters)
    {
        int b = sequences.Count;
        if (rows % b != 0) throw new ArgumentException($"{module}: {rows} rows cannot be split over {b} sequences");
        int per = rows / b;
        var groups = new List<(LoraAdapter, int[])>();
        foreach (var name in sequences.Where(n => n != null).Distinct())
        {
            if (!adapters.TryGetValue(name!, out var adapter) || adapter.Merged) continue;
            var list = new List<int>();
            for (int s = 0; s < b; s++)
                if (sequences[s] == name)
                    for (int i = 0; i < per; i++) list.Add(s * per + i);
            groups.Add((adapter, list.ToArray()));
        }
        return groups;
    }

    /// <summary>y (N, out) += scaling·(x·Aᵀ)·Bᵀ on each group's rows of x (N, in).</summary>
    public static void AddLinear(ReadOnlySpan<float> x, Span<float> y, int inF, int outF, List<(LoraAdapter Adapter, int[] Rows)> groups)
    {
        var pool = ArrayPool<float>.Shared;
        foreach (var (a, rows) in groups)
        {
            int m = rows.Length, r = a.Rank;
            float[] xg = pool.Rent(m * inF), h = pool.Rent(m * r), d = pool.Rent(m * outF);
            try
            {
                for (int i = 0; i < m; i++) x.Slice(rows[i] * inF, inF).CopyTo(xg.AsSpan(i * inF, inF));
                Gemm.MatMulTransB(xg.AsSpan(0, m * inF), a.A.Value.Span, h.AsSpan(0, m * r), m, r, inF);
                Gemm.MatMulTransB(h.AsSpan(0, m * r), a.B.Value.Span, d.AsSpan(0, m * outF), m, outF, r);
                float s = a.Scaling;
                for (int i = 0; i < m; i++)
                {
                    var yr = y.Slice(rows[i] * outF, outF);
                    var dr = d.AsSpan(i * outF, outF);
                    for (int j = 0; j < outF; j++) yr[j] += s * dr[j];
                }
            }
            finally
            {
                pool.Return(xg);
                pool.Return(h);
                pool.Return(d);
            }
        }
    }

    /// <summary>
    /// Embedding LoRA (PEFT lora.Embedding): y[n] (C) += scale·Σ_j A[j, ids[n]]·B[:, j] with A (r, V), B (C, r);
    /// <paramref name="outputScale"/> is the embedding's own multiplier (Gemma √C), which scales the whole output.
    /// </summary>
    public static void AddEmbedding(ReadOnlySpan<int> ids, Span<float> y, int cols, float outputScale, List<(LoraAdapter Adapter, int[] Rows)> groups)
    {
        foreach (var (a, rows) in groups)
        {
            int r = a.Rank, vocab = a.A.Shape[1];
            var av = a.A.Value.Span;
            var bv = a.B.Value.Span;
            float s = a.Scaling * outputScale;
            foreach (int n in rows)
            {
                var yr = y.Slice(n * cols, cols);
                for (int j = 0; j < r; j++)
                {
                    float h = s * av[j * vocab + ids[n]];
                    if (h == 0) continue;
                    for (int c = 0; c < cols; c++) yr[c] += h * bv[c * r + j];
                }
            }
        }
    }
}
