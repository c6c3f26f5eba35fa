// Test access to the llama.cpp/ggml native libraries shipped in LLamaSharp.Backend.Cpu 0.30.0: LLamaSharp loads them,
// then ggml_quantize_chunk is bound from the libggml-base that the process actually mapped.
using System.Runtime.InteropServices;
using LLama.Native;

namespace TuneSharp.Export.Tests;

internal static unsafe class LlamaCppNative
{
    private static readonly Lazy<nint> QuantizeChunk = new(Bind);

    private static nint Bind()
    {
        NativeApi.llama_empty_call();
        // The backend picks an avx/avx2/avx512 build at run time; bind the copy it loaded.
        var lib = File.ReadLines("/proc/self/maps").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(p => p.Length >= 6).Select(p => p[^1]).FirstOrDefault(p => Path.GetFileName(p).StartsWith("libggml-base", StringComparison.Ordinal))
            ?? throw new InvalidOperationException("libggml-base is not mapped after llama_empty_call");
        var h = NativeLibrary.Load(lib);
        return NativeLibrary.GetExport(h, "ggml_quantize_chunk");
    }

    /// <summary>ggml_quantize_chunk(type, src, dst, 0, rows, n_per_row, imatrix = NULL): ggml's reference quantizers.</summary>
    public static byte[] Quantize(uint ggmlType, float[] src, int rows, int perRow, long bytes)
    {
        var dst = new byte[bytes];
        var fn = (delegate* unmanaged[Cdecl]<int, float*, void*, long, long, long, float*, nuint>)QuantizeChunk.Value;
        fixed (float* s = src)
        fixed (byte* d = dst)
        {
            nuint n = fn((int)ggmlType, s, d, 0, rows, perRow, null);
            if ((long)n != bytes) throw new InvalidOperationException($"ggml_quantize_chunk wrote {n} bytes, expected {bytes}");
        }
        return dst;
    }
}
