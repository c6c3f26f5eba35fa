// sentence-transformers Pooling settings (1_Pooling/config.json): which token-embedding reductions are concatenated.
using System.Text.Json.Nodes;

namespace TuneSharp.Models.Encoders;

public sealed record PoolingConfig
{
    public bool ClsToken { get; init; }
    public bool MaxTokens { get; init; }
    public bool MeanTokens { get; init; }
    public bool MeanSqrtLenTokens { get; init; }
    public bool LastToken { get; init; }

    public static PoolingConfig Mean { get; } = new() { MeanTokens = true };
    public static PoolingConfig Cls { get; } = new() { ClsToken = true };

    public static PoolingConfig FromFile(string path)
    {
        var root = JsonNode.Parse(File.ReadAllText(path)) ?? throw new EncoderLoadException($"{path}: empty pooling config");
        bool Flag(string key) => root[key]?.GetValue<bool>() ?? false;
        if (Flag("pooling_mode_weightedmean_tokens"))
            throw new EncoderLoadException($"{path}: pooling_mode_weightedmean_tokens is not supported; use mean, cls, max or lasttoken pooling");
        var p = new PoolingConfig
        {
            ClsToken = Flag("pooling_mode_cls_token"),
            MaxTokens = Flag("pooling_mode_max_tokens"),
            MeanTokens = Flag("pooling_mode_mean_tokens"),
            MeanSqrtLenTokens = Flag("pooling_mode_mean_sqrt_len_tokens"),
            LastToken = Flag("pooling_mode_lasttoken"),
        };
        if (!(p.ClsToken || p.MaxTokens || p.MeanTokens || p.MeanSqrtLenTokens || p.LastToken))
            throw new EncoderLoadException($"{path}: no pooling mode is switched on; set \"pooling_mode_mean_tokens\": true (or cls)");
        return p;
    }

    /// <summary>Output width: one hidden-size block per mode switched on.</summary>
    public int OutputDimension(int hidden) =>
        hidden * ((ClsToken ? 1 : 0) + (MaxTokens ? 1 : 0) + (MeanTokens ? 1 : 0) + (MeanSqrtLenTokens ? 1 : 0) + (LastToken ? 1 : 0));

    /// <summary>
    /// sentence-transformers Pooling.forward for one row: x (T, C) with mask (T). Blocks in its order: cls, max, mean,
    /// mean_sqrt_len, lasttoken. Max fills padding with -1e9; mean divides by max(Σmask, 1e-9).
    /// </summary>
    public void Pool(ReadOnlySpan<float> x, ReadOnlySpan<int> mask, int hidden, Span<float> output)
    {
        int t = mask.Length, o = 0;
        if (ClsToken) { x[..hidden].CopyTo(output[..hidden]); o += hidden; }
        if (MaxTokens)
        {
            for (int c = 0; c < hidden; c++)
            {
                float m = float.NegativeInfinity;
                for (int i = 0; i < t; i++) m = Math.Max(m, mask[i] != 0 ? x[i * hidden + c] : -1e9f);
                output[o + c] = m;
            }
            o += hidden;
        }
        if (MeanTokens || MeanSqrtLenTokens)
        {
            var sum = new float[hidden];
            float count = 0;
            for (int i = 0; i < t; i++)
            {
                if (mask[i] == 0) continue;
                count += 1;
                for (int c = 0; c < hidden; c++) sum[c] += x[i * hidden + c];
            }
            float denom = Math.Max(count, 1e-9f);
            if (MeanTokens) { for (int c = 0; c < hidden; c++) output[o + c] = sum[c] / denom; o += hidden; }
            if (MeanSqrtLenTokens) { float s = MathF.Sqrt(denom); for (int c = 0; c < hidden; c++) output[o + c] = sum[c] / s; o += hidden; }
        }
        if (LastToken)
        {
            // Right padding: the last token is at (number of real tokens − 1).
            int last = 0;
            for (int i = 0; i < t; i++) if (mask[i] != 0) last = i;
            x.Slice(last * hidden, hidden).CopyTo(output.Slice(o, hidden));
        }
    }
}
