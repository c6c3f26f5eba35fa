// A GGUF weight matrix kept in its ggml type (Q8_0, Q4_0, Q5_0, Q4_K, Q5_K, Q6_K) with y = x·Wᵀ computed from the quantized
// bytes: activations quantized per block as ggml's CPU backend does (Q8_0 / Q8_K), integer block dots widened with
// Vector256, scales applied in F32; Q8_0/Q4_0/Q5_0/Q4_K/Q6_K through GgmlVecDot's AVX2 / AVX-VNNI block dots. Scalar twin:
// Reference/Quant/QuantMatMulReference. Resident bytes = the file's.
using System.Runtime.Intrinsics;
using TuneSharp.Tensors.IO.Gguf;
using TuneSharp.Tensors.Kernels.Reference.Quant;

namespace TuneSharp.Tensors.Kernels.Quant;

public sealed class GgmlQuantMatrix
{
    private readonly byte[] _data;
    private readonly int _rowBytes;

    /// <summary>
    /// <paramref name="data"/>: <paramref name="rows"/> (N, output features) rows of <paramref name="cols"/> (K, input
    /// features) values in <paramref name="type"/>, as stored in a GGUF tensor of dims [K, N].
    /// </summary>
    public GgmlQuantMatrix(GgmlType type, int rows, int cols, byte[] data)
    {
        Type = type;
        Rows = rows;
        Cols = cols;
        int blockBytes = QuantMatMulReference.BlockBytes(type); // throws for types without a quantized kernel
        int bs = QuantMatMulReference.BlockValues(type);
        if (cols % bs != 0) throw new ArgumentException($"{type}: {cols} columns is not a multiple of the block size {bs}");
        _rowBytes = cols / bs * blockBytes;
        if (data.LongLength != (long)_rowBytes * rows) throw new ArgumentException($"{type}: {data.LongLength} bytes for a ({rows}, {cols}) matrix, expected {(long)_rowBytes * rows}");
        _data = data;
    }

    public GgmlType Type { get; }
    public int Rows { get; }
    public int Cols { get; }

    /// <summary>Bytes held: the GGUF tensor's size.</summary>
    public long ResidentBytes => _data.LongLength;

    public bool IsKQuant => Type is GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K;

    /// <summary>Row <paramref name="row"/> dequantized into <paramref name="dst"/> (Cols values): an embedding lookup.</summary>
    public void DequantizeRow(int row, Span<float> dst)
    {
        if ((uint)row >= (uint)Rows) throw new ArgumentOutOfRangeException(nameof(row), $"row {row} outside [0, {Rows})");
        GgmlQuant.Dequantize(Type, _data.AsSpan(row * _rowBytes, _rowBytes), dst[..Cols]);
    }

    /// <summary>
    /// Instruction set of the block dots (process-wide; benchmarks and tests switch it). Defaults to the best the CPU
    /// has; <see cref="GgmlDotIsa.Generic"/> is the block-decode path that serves every type.
    /// </summary>
    public static GgmlDotIsa Isa { get; set; } = GgmlVecDot.Best;

    /// <summary>The widest instruction set this CPU runs.</summary>
    public static GgmlDotIsa BestIsa => GgmlVecDot.Best;

    /// <summary>y (M, N) = x (M, K) · Wᵀ with x quantized per block; rows of W split over the cores.</summary>
    public void MatMulTransB(ReadOnlySpan<float> x, Span<float> y, int m)
    {
        if (x.Length != (long)m * Cols) throw new ArgumentException($"x has {x.Length} values, expected ({m}, {Cols})");
        if (y.Length != (long)m * Rows) throw new ArgumentException($"y has {y.Length} values, expected ({m}, {Rows})");
        var isa = Isa;
        if (isa != GgmlDotIsa.Generic && GgmlVecDot.Supports(Type) && GgmlVecDot.Best >= isa)
        {
            FastMatMul(isa, x, y, m);
            return;
        }
        var qx = new QuantMatMulReference.QuantizedRow[m];
        var sums = new int[m][];
        for (int i = 0; i < m; i++)
        {
            qx[i] = QuantMatMulReference.QuantizeActivations(x.Slice(i * Cols, Cols), IsKQuant);
            // Σ of each 16 activation levels (ggml's bsums), for the min term of Q4_K/Q5_K.
            var s = sums[i] = new int[Cols / 16];
            for (int g = 0; g < s.Length; g++)
                for (int j = 0; j < 16; j++) s[g] += qx[i].Q[g * 16 + j];
        }
        var result = new float[(long)m * Rows];
        int chunks = Math.Max(1, Math.Min(Environment.ProcessorCount * 4, Rows / 16));
        Parallel.For(0, chunks, c =>
        {
            int n0 = (int)((long)Rows * c / chunks), n1 = (int)((long)Rows * (c + 1) / chunks);
            RowsKernel(n0, n1, qx, sums, result, m);
        });
        result.CopyTo(y);
    }

    /// <summary>
    /// SIMD path: activations quantized into pooled packed buffers (levels (M, K), scales (M, K/bs), Σ per 16 levels),
    /// then each weight row is decoded once per tile of up to <see cref="GgmlVecDot.RowTile"/> activation rows.
    /// </summary>
    private unsafe void FastMatMul(GgmlDotIsa isa, ReadOnlySpan<float> x, Span<float> y, int m)
    {
        int bsx = IsKQuant ? 256 : 32, nbx = Cols / bsx, g16 = Cols / 16;
        var pool = System.Buffers.ArrayPool<byte>.Shared;
        var qBuf = pool.Rent(m * Cols);
        var dBuf = System.Buffers.ArrayPool<float>.Shared.Rent(m * nbx);
        var sBuf = System.Buffers.ArrayPool<int>.Shared.Rent(m * g16);
        try
        {
            var q = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, sbyte>(qBuf.AsSpan(0, m * Cols));
            for (int i = 0; i < m; i++)
            {
                var qi = q.Slice(i * Cols, Cols);
                QuantMatMulReference.QuantizeActivations(x.Slice(i * Cols, Cols), IsKQuant, qi, dBuf.AsSpan(i * nbx, nbx));
                for (int g = 0; g < g16; g++)
                {
                    int s = 0;
                    for (int j = 0; j < 16; j++) s += qi[g * 16 + j];
                    sBuf[i * g16 + g] = s;
                }
            }
            fixed (float* yp = y)
            {
                nint yAddr = (nint)yp;
                Threading.KernelPool.For(Rows, (n0, n1) => FastRows(isa, n0, n1, qBuf, dBuf, sBuf, nbx, (float*)yAddr, m));
            }
        }
        finally
        {
            pool.Return(qBuf);
            System.Buffers.ArrayPool<float>.Shared.Return(dBuf);
            System.Buffers.ArrayPool<int>.Shared.Return(sBuf);
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private unsafe void FastRows(GgmlDotIsa isa, int n0, int n1, byte[] q, float[] d, int[] bs, int nbx, float* y, int m)
    {
        int g16 = Cols / 16;
        fixed (byte* w = _data)
        fixed (byte* qp = q)
        fixed (float* dp = d)
        fixed (int* bp = bs)
            for (int n = n0; n < n1; n++)
            {
                byte* row = w + (long)n * _rowBytes;
                for (int i = 0; i < m; i += GgmlVecDot.RowTile)
                {
                    int rows = Math.Min(GgmlVecDot.RowTile, m - i);
                    GgmlVecDot.Dot(Type, isa, row, (sbyte*)qp + (long)i * Cols, dp + i * nbx, bp + i * g16, Cols, rows, y + (long)i * Rows + n, Rows);
                }
            }
    }

    private void RowsKernel(int n0, int n1, QuantMatMulReference.QuantizedRow[] qx, int[][] sums, float[] y, int m)
    {
        int bs = QuantMatMulReference.BlockValues(Type), bytes = QuantMatMulReference.BlockBytes(Type), nb = Cols / bs;
        Span<sbyte> levels = stackalloc sbyte[256];
        Span<float> scale = stackalloc float[16];
        Span<float> offset = stackalloc float[16];
        Span<float> acc = stackalloc float[m];
        for (int n = n0; n < n1; n++)
        {
            var row = _data.AsSpan(n * _rowBytes, _rowBytes);
            acc.Clear();
            for (int b = 0; b < nb; b++)
            {
                int sub = QuantMatMulReference.DecodeBlock(Type, row.Slice(b * bytes, bytes), levels, scale, offset);
                int subLen = bs / sub;
                for (int i = 0; i < m; i++)
                {
                    var q = qx[i].Q.AsSpan(b * bs, bs);
                    float blockAcc = 0;
                    for (int s = 0; s < sub; s++)
                    {
                        int isum = IntDot(levels.Slice(s * subLen, subLen), q.Slice(s * subLen, subLen));
                        float term = scale[s] * isum;
                        if (offset[s] != 0)
                        {
                            int g = (b * bs + s * subLen) / 16;
                            int qsum = subLen == 32 ? sums[i][g] + sums[i][g + 1] : sums[i][g];
                            term -= offset[s] * qsum;
                        }
                        blockAcc += term;
                    }
                    acc[i] += blockAcc * qx[i].D[b * bs / qx[i].BlockSize];
                }
            }
            for (int i = 0; i < m; i++) y[(long)i * Rows + n] = acc[i];
        }
    }

    /// <summary>Σ a·b of 16 or 32 int8 pairs (|a|, |b| ≤ 127 so products fit in int16) through Vector256 widening.</summary>
    internal static int IntDot(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b)
    {
        if (Vector256.IsHardwareAccelerated && a.Length % 16 == 0)
        {
            var acc = Vector256<int>.Zero;
            for (int i = 0; i < a.Length; i += 16)
            {
                var va = Vector256.WidenLower(Vector256.Create(Vector128.Create<sbyte>(a[i..]), Vector128<sbyte>.Zero));
                var vb = Vector256.WidenLower(Vector256.Create(Vector128.Create<sbyte>(b[i..]), Vector128<sbyte>.Zero));
                var p = va * vb;
                var (lo, hi) = Vector256.Widen(p);
                acc += lo + hi;
            }
            return Vector256.Sum(acc);
        }
        int s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }
}
