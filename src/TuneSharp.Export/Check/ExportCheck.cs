// The check after an export (`export --check`): a written model (merged folder or GGUF, run by our loader) against the
// adapter-on-base reference on a few prompts — teacher-forced top-1 agreement, mean KL(reference ‖ exported) per token,
// greedy continuation agreement — plus the chat-template round trip (template embedded, BOS/EOS/stop ids present).
using System.Globalization;
using TuneSharp.Models;
using TuneSharp.Models.Loading;
using TuneSharp.Tensors.IO.Gguf;
using TuneSharp.Tokenizers;

namespace TuneSharp.Export.Check;

/// <param name="Target">What was checked (file or folder).</param>
/// <param name="Kind">"hf f32", "gguf q4_k_m", …</param>
public sealed record CheckResult(string Target, string Kind, double Top1, double MeanKl, double GreedyAgreement, bool TemplateOk, string TemplateNote, double MinTop1, double MaxKl)
{
    public bool Passed => Top1 >= MinTop1 && MeanKl <= MaxKl && TemplateOk;
}

public static class ExportCheck
{
    public static readonly string[] DefaultPrompts =
    [
        "Once upon a time, there was a little girl who",
        "The capital of France is",
        "Write a short poem about the sea.",
        "def fibonacci(n):",
    ];

    /// <summary>Per-type thresholds: (min teacher-forced top-1 agreement, max mean KL per token).</summary>
    public static (double MinTop1, double MaxKl) Thresholds(string kind) => kind switch
    {
        "hf f32" or "gguf f32" => (0.99, 1e-4),
        "hf bf16" or "hf f16" or "gguf f16" or "gguf bf16" => (0.95, 1e-2),
        "gguf q8_0" => (0.90, 0.05),
        "gguf q6_k" => (0.85, 0.1),
        "gguf q5_k_m" => (0.80, 0.2),
        _ => (0.70, 0.5),
    };

    /// <summary>Compares <paramref name="exported"/> with <paramref name="reference"/> on <paramref name="prompts"/> (token ids).</summary>
    public static CheckResult Run(CausalLM reference, CausalLM exported, IReadOnlyList<int[]> prompts, string target, string kind, int greedySteps, bool templateOk, string templateNote)
    {
        int v = reference.Config.VocabSize;
        long agree = 0, total = 0, greedyAgree = 0, greedyTotal = 0;
        double kl = 0;
        foreach (var ids in prompts)
        {
            var r = Logits(reference, ids);
            var e = Logits(exported, ids);
            for (int t = 0; t < ids.Length; t++)
            {
                var rr = r.AsSpan(t * v, v);
                var ee = e.AsSpan(t * v, v);
                if (ArgMax(rr) == ArgMax(ee)) agree++;
                kl += Kl(rr, ee);
                total++;
            }
            var gr = Greedy(reference, ids, greedySteps);
            var ge = Greedy(exported, ids, greedySteps);
            for (int i = 0; i < greedySteps && gr[i] == ge[i]; i++) greedyAgree++;
            greedyTotal += greedySteps;
        }
        var (minTop1, maxKl) = Thresholds(kind);
        return new CheckResult(target, kind, (double)agree / total, kl / total, greedyTotal == 0 ? 1 : (double)greedyAgree / greedyTotal, templateOk, templateNote, minTop1, maxKl);
    }

    /// <summary>The chat-template round trip of a GGUF: template embedded, BOS/EOS ids present, llama.cpp's vocabulary rebuilds our tokenization.</summary>
    public static (bool Ok, string Note) GgufTemplate(string gguf, string tokenizerFolder)
    {
        var f = GgufFile.Open(gguf);
        var notes = new List<string>();
        bool ok = true;
        var wanted = Gguf.GgufVocabulary.ChatTemplateText(tokenizerFolder);
        var got = f.GetString("tokenizer.chat_template");
        if (wanted != null && got != wanted) { ok = false; notes.Add("chat template missing or changed"); }
        var tok = Tokenizer.FromPretrained(tokenizerFolder);
        if (tok.EosTokenId is int eos && f.GetInt("tokenizer.ggml.eos_token_id") != eos) { ok = false; notes.Add("EOS id differs"); }
        if (tok.BosTokenId is int bos && f.GetInt("tokenizer.ggml.bos_token_id") != bos) { ok = false; notes.Add("BOS id differs"); }
        var fromGguf = GgufTokenizer.Load(f);
        foreach (var p in DefaultPrompts)
            if (!fromGguf.Encode(p, addSpecialTokens: true).SequenceEqual(tok.Encode(p, addSpecialTokens: true))) { ok = false; notes.Add($"tokenization differs on \"{p}\""); break; }
        return (ok, notes.Count == 0 ? (wanted != null ? "template, BOS/EOS, tokenization ok" : "no chat template; BOS/EOS, tokenization ok") : string.Join("; ", notes));
    }

    /// <summary>The table printed by `export --check`.</summary>
    public static string Table(IEnumerable<CheckResult> results)
    {
        var lines = new List<string>
        {
            "| output | type | top-1 agree | mean KL/token | greedy agree | template | result |",
            "|---|---|---|---|---|---|---|",
        };
        foreach (var r in results)
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"| {Path.GetFileName(r.Target)} | {r.Kind} | {r.Top1:P1} (≥ {r.MinTop1:P0}) | {r.MeanKl:G3} (≤ {r.MaxKl:G2}) | {r.GreedyAgreement:P0} | {r.TemplateNote} | {(r.Passed ? "pass" : "FAIL")} |"));
        return string.Join(Environment.NewLine, lines);
    }

    private static float[] Logits(CausalLM m, int[] ids)
    {
        using var input = CausalLMInput.Create(ids, 1);
        return m.ComputeLogits(input);
    }

    private static int[] Greedy(CausalLM m, int[] prompt, int steps)
    {
        var ids = prompt.ToList();
        var result = new int[steps];
        int v = m.Config.VocabSize;
        for (int s = 0; s < steps; s++)
        {
            var l = Logits(m, ids.ToArray());
            result[s] = ArgMax(l.AsSpan((ids.Count - 1) * v, v));
            ids.Add(result[s]);
        }
        return result;
    }

    private static int ArgMax(ReadOnlySpan<float> x)
    {
        int b = 0;
        for (int i = 1; i < x.Length; i++) if (x[i] > x[b]) b = i;
        return b;
    }

    // KL(p ‖ q) over softmaxes of two logit rows, in double.
    private static double Kl(ReadOnlySpan<float> p, ReadOnlySpan<float> q)
    {
        double mp = double.NegativeInfinity, mq = double.NegativeInfinity;
        for (int i = 0; i < p.Length; i++) { mp = Math.Max(mp, p[i]); mq = Math.Max(mq, q[i]); }
        double zp = 0, zq = 0;
        for (int i = 0; i < p.Length; i++) { zp += Math.Exp(p[i] - mp); zq += Math.Exp(q[i] - mq); }
        double lzp = Math.Log(zp) + mp, lzq = Math.Log(zq) + mq, kl = 0;
        for (int i = 0; i < p.Length; i++)
        {
            double lp = p[i] - lzp, lq = q[i] - lzq;
            kl += Math.Exp(lp) * (lp - lq);
        }
        return Math.Max(0, kl);
    }
}
