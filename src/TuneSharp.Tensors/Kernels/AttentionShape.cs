// Shape and masking options of one self-attention call; semantics follow HF modeling_llama.py / modeling_gemma2.py eager attention.
namespace TuneSharp.Tensors.Kernels;

/// <summary>
/// Dimensions and options of an attention call. Layouts (row-major, no transposes needed by callers):
/// q, o: (B, Tq, nh, hs); k, v: (B, KvCapacity, nkv, hs) of which the first Tk rows per batch are used
/// (KvCapacity = Tk for training, the cache capacity for generation); lse: (B, nh, Tq).
/// Query row i sits at absolute position <c>QueryOffset + i</c>; key j is visible to it iff
/// (!Causal || j ≤ pos) and (SlidingWindow == 0 || pos − j &lt; SlidingWindow) and the key padding mask is 1.
/// Construct with the six sizes, then override options with <c>init</c>:
/// <c>new AttentionShape(b, t, t, nh, nkv, hs) { SoftCap = 50f, SlidingWindow = 4096 }</c>.
/// </summary>
public readonly struct AttentionShape
{
    /// <summary>Defaults: Scale = 1/√hs, Causal = true, QueryOffset = Tk − Tq (KV-cache decode), KvCapacity = Tk.</summary>
    public AttentionShape(int batch, int queryLength, int keyLength, int heads, int kvHeads, int headSize)
    {
        Batch = batch;
        QueryLength = queryLength;
        KeyLength = keyLength;
        Heads = heads;
        KvHeads = kvHeads;
        HeadSize = headSize;
        Scale = headSize > 0 ? 1f / MathF.Sqrt(headSize) : 1f;
        Causal = true;
        QueryOffset = keyLength - queryLength;
        KvCapacity = keyLength;
    }

    /// <summary>B.</summary>
    public int Batch { get; }

    /// <summary>Tq: query rows per batch.</summary>
    public int QueryLength { get; }

    /// <summary>Tk: key/value rows used per batch.</summary>
    public int KeyLength { get; }

    /// <summary>nh: query heads.</summary>
    public int Heads { get; }

    /// <summary>nkv: key/value heads (GQA: query head h uses kv head h / (nh / nkv)).</summary>
    public int KvHeads { get; }

    /// <summary>hs: head size.</summary>
    public int HeadSize { get; }

    /// <summary>Score multiplier (1/√hs; Gemma-2: query_pre_attn_scalar^-0.5).</summary>
    public float Scale { get; init; }

    /// <summary>Causal mask on (key j visible only if j ≤ QueryOffset + i).</summary>
    public bool Causal { get; init; }

    /// <summary>Absolute position of query row 0 relative to key 0 (default Tk − Tq).</summary>
    public int QueryOffset { get; init; }

    /// <summary>Sliding window size (0 = off): key j visible to position p only if p − j &lt; window (HF semantics).</summary>
    public int SlidingWindow { get; init; }

    /// <summary>Gemma-2 attention logit softcap (0 = off): s = cap·tanh(s/cap), applied before masking.</summary>
    public float SoftCap { get; init; }

    /// <summary>Rows per batch in the k/v buffers (≥ Tk); the batch stride of k/v is KvCapacity·nkv·hs.</summary>
    public int KvCapacity { get; init; }

    /// <summary>Query heads per kv head (nh / nkv).</summary>
    public int GroupSize => Heads / KvHeads;

    /// <summary>Elements of q, o and dq: B·Tq·nh·hs.</summary>
    public long QueryElements => (long)Batch * QueryLength * Heads * HeadSize;

    /// <summary>Elements of k, v, dk and dv: B·KvCapacity·nkv·hs.</summary>
    public long KvElements => (long)Batch * KvCapacity * KvHeads * HeadSize;

    /// <summary>Elements of the saved log-sum-exp: B·nh·Tq.</summary>
    public long LseElements => (long)Batch * Heads * QueryLength;

    /// <summary>Throws a clear exception naming the bad field.</summary>
    public void Validate()
    {
        static void Check(bool ok, string field, object value, string rule)
        {
            if (!ok) throw new ArgumentException($"AttentionShape.{field} = {value}: {rule}");
        }
        Check(Batch >= 0, nameof(Batch), Batch, "must be ≥ 0");
        Check(QueryLength >= 0, nameof(QueryLength), QueryLength, "must be ≥ 0");
        Check(KeyLength >= 0, nameof(KeyLength), KeyLength, "must be ≥ 0");
        Check(Heads > 0, nameof(Heads), Heads, "must be > 0");
        Check(KvHeads > 0, nameof(KvHeads), KvHeads, "must be > 0");
        Check(Heads % Math.Max(1, KvHeads) == 0, nameof(KvHeads), KvHeads, $"must divide Heads = {Heads}");
        Check(HeadSize > 0, nameof(HeadSize), HeadSize, "must be > 0");
        Check(KvCapacity >= KeyLength, nameof(KvCapacity), KvCapacity, $"must be ≥ KeyLength = {KeyLength}");
        Check(SlidingWindow >= 0, nameof(SlidingWindow), SlidingWindow, "must be ≥ 0 (0 = off)");
        Check(SoftCap >= 0 && float.IsFinite(SoftCap), nameof(SoftCap), SoftCap, "must be finite and ≥ 0 (0 = off)");
        Check(float.IsFinite(Scale), nameof(Scale), Scale, "must be finite");
    }

    /// <summary>Whether key j is visible to query row i (ignoring the padding mask).</summary>
    public bool Visible(int i, int j)
    {
        long pos = (long)QueryOffset + i;
        if (Causal && j > pos) return false;
        if (SlidingWindow > 0 && pos - j >= SlidingWindow) return false;
        return true;
    }

    /// <summary>Row stride of a key padding mask of the given length: B·Tk (stride Tk) or B·KvCapacity (stride KvCapacity).</summary>
    public int MaskStride(int maskLength)
    {
        if (maskLength == (long)Batch * KeyLength) return KeyLength;
        if (maskLength == (long)Batch * KvCapacity) return KvCapacity;
        throw new ArgumentException($"keyMask: length {maskLength} must be B·Tk = {(long)Batch * KeyLength} or B·KvCapacity = {(long)Batch * KvCapacity} (1 = attend, 0 = padding)");
    }

    public override string ToString() =>
        $"B={Batch} Tq={QueryLength} Tk={KeyLength} nh={Heads} nkv={KvHeads} hs={HeadSize} scale={Scale} causal={Causal} offset={QueryOffset} window={SlidingWindow} softcap={SoftCap} cap={KvCapacity}";
}
