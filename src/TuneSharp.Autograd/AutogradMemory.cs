// Allocation helpers and live-byte counters for every tensor the autograd layer creates (activations, gradients, saved state).
using TuneSharp.Tensors;

namespace TuneSharp.Autograd;

/// <summary>
/// All tensors the autograd layer allocates go through <see cref="Allocate"/> and are given back with
/// <see cref="Free"/>, so <see cref="LiveBytes"/> says exactly how much autograd-owned pooled memory is alive
/// (views are never counted). Tests use it to check that backward frees saved tensors and intermediate
/// gradients; the trainer can log <see cref="PeakBytes"/>. Counters are process-wide and thread-safe.
/// </summary>
public static class AutogradMemory
{
    private static long _liveBytes, _peakBytes, _liveTensors;

    /// <summary>Bytes of autograd-owned tensors alive now.</summary>
    public static long LiveBytes => Interlocked.Read(ref _liveBytes);

    /// <summary>Highest <see cref="LiveBytes"/> since the last <see cref="ResetPeak"/>.</summary>
    public static long PeakBytes => Interlocked.Read(ref _peakBytes);

    /// <summary>Number of autograd-owned tensors alive now.</summary>
    public static long LiveTensors => Interlocked.Read(ref _liveTensors);

    /// <summary>Sets <see cref="PeakBytes"/> to the current <see cref="LiveBytes"/>.</summary>
    public static void ResetPeak() => Interlocked.Exchange(ref _peakBytes, LiveBytes);

    /// <summary>A new counted tensor in pooled memory (zero-filled when <paramref name="clear"/>).</summary>
    public static Tensor Allocate(DType dtype, Shape shape, bool clear = false)
    {
        var dims = shape.ToArray();
        var t = clear ? Tensor.Zeros(dtype, dims) : Tensor.Empty(dtype, dims);
        long bytes = t.ByteLength;
        long live = Interlocked.Add(ref _liveBytes, bytes);
        Interlocked.Increment(ref _liveTensors);
        long peak;
        while (live > (peak = Interlocked.Read(ref _peakBytes)) && Interlocked.CompareExchange(ref _peakBytes, live, peak) != peak) { }
        return t;
    }

    /// <summary>A new counted F32 tensor.</summary>
    public static Tensor AllocateF32(Shape shape, bool clear = false) => Allocate(DType.F32, shape, clear);

    /// <summary>Disposes a tensor that <see cref="Allocate"/> returned and uncounts it.</summary>
    public static void Free(Tensor t)
    {
        Interlocked.Add(ref _liveBytes, -t.ByteLength);
        Interlocked.Decrement(ref _liveTensors);
        t.Dispose();
    }
}
