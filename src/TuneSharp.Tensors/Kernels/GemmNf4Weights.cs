// NF4 weight source for Gemm (QLoRA): decodes bitsandbytes 4-bit NormalFloat blocks (64 values, per-block absmax,
// optionally double-quantized) into F32 row segments while GEMM packs its panels; the full matrix is never widened.
using System.Runtime.CompilerServices;
using TuneSharp.Tensors.Kernels.Quant;

namespace TuneSharp.Tensors.Kernels;

/// <summary>
/// An (n, k) NF4 weight quantized over the flattened row-major matrix (bitsandbytes quantize_4bit): element e sits in
/// byte e/2 (first of a pair in the high nibble) and block e/blockSize. With double quantization the block absmax is
/// code8[q[b]]·absmax2[b/256] + offset (decoded per block here). All pointers must stay pinned while in use
/// (<see cref="Nf4Matrix"/> owns pinned arrays).
/// </summary>
public readonly unsafe struct GemmNf4Weights : IGemmWeights
{
    private static readonly float[] PairTable = BuildPairTable();
    private static readonly float* PairTablePtr = (float*)Unsafe.AsPointer(ref PairTable[0]);

    private readonly byte* _packed;
    private readonly float* _absmax;     // plain absmax, or null with double quantization
    private readonly byte* _qAbsmax;      // double quantization: 8-bit absmax codes
    private readonly float* _absmax2;     // … their per-256 scales
    private readonly float* _code8;       // … and the 256-entry signed dynamic map
    private readonly float _offset;
    private readonly int _blockSize;

    public GemmNf4Weights(byte* packed, float* absmax, byte* qAbsmax, float* absmax2, float* code8, float offset, int rows, int cols, int blockSize)
    {
        if (blockSize <= 0 || blockSize % 2 != 0) throw new ArgumentOutOfRangeException(nameof(blockSize), blockSize, "NF4 block size must be positive and even");
        if (((long)rows * cols) % 2 != 0) throw new ArgumentException($"NF4 matrix ({rows}, {cols}) must have an even element count");
        _packed = packed;
        _absmax = absmax;
        _qAbsmax = qAbsmax;
        _absmax2 = absmax2;
        _code8 = code8;
        _offset = offset;
        _blockSize = blockSize;
        Rows = rows;
        Cols = cols;
    }

    public int Rows { get; }

    public int Cols { get; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private float Absmax(long block) =>
        _absmax != null ? _absmax[block] : _code8[_qAbsmax[block]] * _absmax2[block / Nf4.NestedBlockSize] + _offset;

    public void WidenRow(int row, int col, int count, float* dst)
    {
        long e = (long)row * Cols + col, end = e + count;
        var table = PairTablePtr;
        // An odd start (odd row length): decode the low nibble of the first byte alone.
        if ((e & 1) != 0)
        {
            *dst++ = Nf4Codes(_packed[e >> 1] & 0x0F) * Absmax(e / _blockSize);
            e++;
        }
        while (e < end)
        {
            long block = e / _blockSize;
            long blockEnd = Math.Min(end, (block + 1) * _blockSize);
            float a = Absmax(block);
            // Pairs inside this block.
            for (; e + 1 < blockEnd; e += 2)
            {
                int t = _packed[e >> 1] * 2;
                dst[0] = table[t] * a;
                dst[1] = table[t + 1] * a;
                dst += 2;
            }
            if (e < blockEnd)
            {
                // The segment ends mid-pair (odd row length): the high nibble only.
                *dst++ = table[_packed[e >> 1] * 2] * a;
                e++;
            }
        }
    }

    private static float Nf4Codes(int code) => Nf4.Codes[code];

    private static float[] BuildPairTable()
    {
        var t = GC.AllocateArray<float>(512, pinned: true);
        var codes = Nf4.Codes;
        for (int b = 0; b < 256; b++)
        {
            t[2 * b] = codes[b >> 4];
            t[2 * b + 1] = codes[b & 0x0F];
        }
        return t;
    }
}
