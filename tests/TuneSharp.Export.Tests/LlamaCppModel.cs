// A GGUF run by llama.cpp (LLamaSharp 0.30.0): teacher-forced logits of every position and greedy continuation.
using LLama;
using LLama.Common;
using LLama.Native;

namespace TuneSharp.Export.Tests;

internal sealed class LlamaCppModel : IDisposable
{
    private static readonly Lazy<bool> Quiet = new(() =>
    {
        NativeLogConfig.llama_log_set((_, _) => { });
        return true;
    });

    private readonly LLamaWeights _weights;
    private readonly ModelParams _params;

    public LlamaCppModel(string gguf, string? lora = null, float loraScale = 1f)
    {
        _ = Quiet.Value;
        _params = new ModelParams(gguf) { ContextSize = 256, BatchSize = 256, UBatchSize = 256, Threads = 2, GpuLayerCount = 0 };
        _weights = LLamaWeights.LoadFromFile(_params);
        if (lora != null) Adapter = (_weights.NativeHandle.LoadLoraFromFile(lora), loraScale);
    }

    private (LoraAdapter Adapter, float Scale)? Adapter { get; }

    public int VocabSize => _weights.Vocab.Count;

    /// <summary>Logits (T, V) of every position for <paramref name="ids"/> in one batch.</summary>
    public float[][] Logits(IReadOnlyList<int> ids)
    {
        using var ctx = _weights.CreateContext(_params);
        if (Adapter is { } a) ctx.NativeHandle.SetLoraAdapters([(a.Adapter, a.Scale)]);
        var batch = new LLamaBatch();
        for (int i = 0; i < ids.Count; i++) batch.Add(ids[i], i, LLamaSeqId.Zero, true);
        var r = ctx.Decode(batch);
        if (r != DecodeResult.Ok) throw new InvalidOperationException($"llama_decode: {r}");
        var result = new float[ids.Count][];
        for (int i = 0; i < ids.Count; i++) result[i] = ctx.NativeHandle.GetLogitsIth(i).ToArray();
        return result;
    }

    /// <summary>Greedy continuation of <paramref name="prompt"/> by <paramref name="steps"/> tokens (KV cache, one token per decode).</summary>
    public int[] Greedy(IReadOnlyList<int> prompt, int steps)
    {
        using var ctx = _weights.CreateContext(_params);
        if (Adapter is { } a) ctx.NativeHandle.SetLoraAdapters([(a.Adapter, a.Scale)]);
        var batch = new LLamaBatch();
        for (int i = 0; i < prompt.Count; i++) batch.Add(prompt[i], i, LLamaSeqId.Zero, i == prompt.Count - 1);
        if (ctx.Decode(batch) != DecodeResult.Ok) throw new InvalidOperationException("llama_decode failed");
        var outIds = new int[steps];
        int pos = prompt.Count;
        for (int s = 0; s < steps; s++)
        {
            var logits = ctx.NativeHandle.GetLogitsIth(batch.TokenCount - 1);
            int next = ArgMax(logits);
            outIds[s] = next;
            batch.Clear();
            batch.Add(next, pos++, LLamaSeqId.Zero, true);
            if (ctx.Decode(batch) != DecodeResult.Ok) throw new InvalidOperationException("llama_decode failed");
        }
        return outIds;
    }

    /// <summary>llama.cpp's tokenization of <paramref name="text"/> (special tokens parsed, BOS as the GGUF says).</summary>
    public int[] Tokenize(string text, bool addBos) =>
        _weights.Tokenize(text, addBos, special: true, System.Text.Encoding.UTF8).Select(t => (int)t).ToArray();

    public static int ArgMax(ReadOnlySpan<float> x)
    {
        int best = 0;
        for (int i = 1; i < x.Length; i++) if (x[i] > x[best]) best = i;
        return best;
    }

    public void Dispose()
    {
        if (Adapter is { } a) a.Adapter.Unload();
        _weights.Dispose();
    }
}
