// Scalar twin of Kernels/Elementwise: plain loops, generic over the float type (float to test the kernel, double for checks).
using System.Numerics;

namespace TuneSharp.Tensors.Kernels.Reference;

public static class ElementwiseReference
{
    /// <summary>destination = a + b.</summary>
    public static void Add<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> destination) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = a[i] + b[i];
    }

    /// <summary>destination += a.</summary>
    public static void AddInPlace<T>(ReadOnlySpan<T> a, Span<T> destination) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < destination.Length; i++) destination[i] += a[i];
    }

    /// <summary>destination = a ⊙ b.</summary>
    public static void Mul<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> destination) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = a[i] * b[i];
    }

    /// <summary>destination = a · s.</summary>
    public static void Scale<T>(ReadOnlySpan<T> a, T s, Span<T> destination) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = a[i] * s;
    }

    /// <summary>destination += a · s.</summary>
    public static void AddScaled<T>(ReadOnlySpan<T> a, T s, Span<T> destination) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < destination.Length; i++) destination[i] += a[i] * s;
    }

    /// <summary>destination[i] = value.</summary>
    public static void Fill<T>(T value, Span<T> destination) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = value;
    }
}
