// SemScore (Aynetdinov & Akbik 2024): cosine similarity of sentence embeddings of prediction and reference, averaged.
using TuneSharp.Models.Encoders;

namespace TuneSharp.Evaluation.SemScore;

public sealed class SemScorer(SentenceEncoder encoder, int batchSize = 32)
{
    public SentenceEncoder Encoder { get; } = encoder;

    /// <summary>Per-row cosine between the prediction and its best-matching reference (rows without one get null).</summary>
    public double?[] Score(IReadOnlyList<PredictionRow> rows)
    {
        var texts = new List<string>();
        foreach (var r in rows) { texts.Add(r.Prediction); texts.AddRange(r.References); }
        var emb = Encoder.Encode(texts, batchSize);
        var result = new double?[rows.Count];
        int k = 0;
        for (int i = 0; i < rows.Count; i++)
        {
            var pred = emb[k++];
            double? best = null;
            foreach (var _ in rows[i].References)
            {
                double c = SentenceEncoder.Cosine(pred, emb[k++]);
                if (best is null || c > best) best = c;
            }
            result[i] = best;
        }
        return result;
    }
}
