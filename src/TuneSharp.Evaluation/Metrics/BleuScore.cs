// A BLEU result on sacrebleu's 0–100 scale with its precisions and brevity penalty.
namespace TuneSharp.Evaluation.Metrics;

public sealed record BleuScore(double Score, double[] Precisions, double BrevityPenalty, long SysLen, long RefLen);
