// A frozen weight matrix stored as bitsandbytes NF4 (QLoRA, Dettmers et al. 2023): pinned packed codes + block absmax
// (optionally double-quantized), usable directly as a Gemm weight source.
using TuneSharp.Tensors.Kernels.Quant;
using TuneSharp.Tensors.Kernels.Reference.Quant;

namespace TuneSharp.Tensors.Kernels;

/// <summary>
/// (rows, cols) row-major weight, quantized over the flattened matrix like bnb <c>quantize_4bit</c> (blocksize 64,
/// quant_type "nf4"; <c>compress_statistics</c> = double quantization of the absmax with 256-value blocks and the signed
/// dynamic map). Resident bytes: rows·cols/2 + 4 per block (≈ 4.5 bits/weight), or + 1 per block + 4 per 256 blocks
/// with double quantization (≈ 4.13 bits/weight).
/// </summary>
public sealed unsafe class Nf4Matrix
{
    // The nested 8-bit code is the same signed dynamic map for every matrix: one pinned copy shared by all.
    private static readonly float[] SharedCode8 = CreateSharedCode8();

    private readonly byte[] _packed;
    private readonly float[]? _absmax;
    private readonly byte[]? _qAbsmax;
    private readonly float[]? _absmax2;
    private readonly float[]? _code8;

    private Nf4Matrix(int rows, int cols, int blockSize, byte[] packed, float[]? absmax, byte[]? qAbsmax, float[]? absmax2, float[]? code8, float offset)
    {
        Rows = rows;
        Cols = cols;
        BlockSize = blockSize;
        _packed = packed;
        _absmax = absmax;
        _qAbsmax = qAbsmax;
        _absmax2 = absmax2;
        _code8 = code8;
        Offset = offset;
    }

    public int Rows { get; }

    public int Cols { get; }

    public int BlockSize { get; }

    public bool DoubleQuant => _qAbsmax != null;

    /// <summary>Mean of the absmax subtracted before the nested quantization (0 without double quantization).</summary>
    public float Offset { get; }

    /// <summary>Bytes held by this matrix (codes and scales; the shared 1 KB nested map is not counted).</summary>
    public long ResidentBytes => _packed.LongLength + 4L * (_absmax?.LongLength ?? 0) + (_qAbsmax?.LongLength ?? 0)
        + 4L * (_absmax2?.LongLength ?? 0);

    /// <summary>Quantizes an (rows, cols) weight of any dtype (widened row by row, never as a whole F32 copy beyond one chunk).</summary>
    public static Nf4Matrix Quantize(Tensor weight, bool doubleQuant = false, int blockSize = Nf4.DefaultBlockSize)
    {
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Rank != 2) throw new ArgumentException($"NF4: weight must be (out, in), got {weight.Shape}");
        if (weight.DType == DType.F32) return Quantize(weight.Span, weight.Shape[0], weight.Shape[1], doubleQuant, blockSize);
        using var f32 = weight.To(DType.F32);
        return Quantize(f32.Span, weight.Shape[0], weight.Shape[1], doubleQuant, blockSize);
    }

    /// <summary>Quantizes row-major (rows, cols) F32 values (bnb quantize_4bit, nf4).</summary>
    public static Nf4Matrix Quantize(ReadOnlySpan<float> w, int rows, int cols, bool doubleQuant = false, int blockSize = Nf4.DefaultBlockSize)
    {
        long n = (long)rows * cols;
        if (rows <= 0 || cols <= 0 || w.Length != n) throw new ArgumentException($"NF4: {w.Length} values for a ({rows}, {cols}) matrix");
        if (n % 2 != 0) throw new ArgumentException($"NF4: ({rows}, {cols}) has an odd element count (two codes per byte)");
        var packed = GC.AllocateUninitializedArray<byte>(checked((int)(n / 2)), pinned: true);
        var absmax = GC.AllocateUninitializedArray<float>(Nf4.BlockCount((int)n, blockSize), pinned: true);
        Nf4.Quantize(w, packed, absmax, blockSize);
        if (!doubleQuant) return new Nf4Matrix(rows, cols, blockSize, packed, absmax, null, null, null, 0);
        var q = GC.AllocateUninitializedArray<byte>(absmax.Length, pinned: true);
        var absmax2 = GC.AllocateUninitializedArray<float>((absmax.Length + Nf4.NestedBlockSize - 1) / Nf4.NestedBlockSize, pinned: true);
        float offset = Nf4.QuantizeAbsmax(absmax, q, absmax2);
        return new Nf4Matrix(rows, cols, blockSize, packed, null, q, absmax2, SharedCode8, offset);
    }

    /// <summary>The Gemm weight source over this matrix's pinned arrays (valid while this object is alive: keep a reference).</summary>
    public GemmNf4Weights AsGemmWeights()
    {
        fixed (byte* p = _packed)
        fixed (float* a = _absmax)
        fixed (byte* q = _qAbsmax)
        fixed (float* a2 = _absmax2)
        fixed (float* c = _code8)
        {
            // The arrays are allocated on the pinned object heap, so the addresses stay valid after the fixed scope.
            return new GemmNf4Weights(p, a, q, a2, c, Offset, Rows, Cols, BlockSize);
        }
    }

    /// <summary>dst (rows·cols) ← dequantized weight (bnb dequantize_4bit).</summary>
    public void Dequantize(Span<float> dst)
    {
        if (dst.Length < (long)Rows * Cols) throw new ArgumentException($"NF4: destination of {dst.Length} for a ({Rows}, {Cols}) matrix");
        var src = AsGemmWeights();
        fixed (float* d = dst)
        {
            for (int r = 0; r < Rows; r++) src.WidenRow(r, 0, Cols, d + (long)r * Cols);
        }
        GC.KeepAlive(this);
    }

    /// <summary>A new F32 (rows, cols) tensor with the dequantized weight.</summary>
    public Tensor DequantizeToTensor()
    {
        var t = Tensor.Empty(DType.F32, Rows, Cols);
        Dequantize(t.Span);
        return t;
    }

    private static float[] CreateSharedCode8()
    {
        var code = GC.AllocateArray<float>(256, pinned: true);
        DynamicMapReference.SignedMap.CopyTo(code);
        return code;
    }

    public override string ToString() => $"Nf4Matrix ({Rows}, {Cols}) block {BlockSize}{(DoubleQuant ? ", double quant" : "")}, {ResidentBytes} bytes";
}
