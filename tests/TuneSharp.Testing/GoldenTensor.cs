// A tensor stored in a golden fixture: shape, dtype tag and flat row-major values.
namespace TuneSharp.Testing;

public sealed record GoldenTensor(int[] Shape, string DType, double[] Data)
{
    public int Count => Data.Length;

    public float[] AsFloats() => Array.ConvertAll(Data, v => (float)v);

    public int[] AsInts() => Array.ConvertAll(Data, v => checked((int)v));

    public long[] AsLongs() => Array.ConvertAll(Data, v => (long)v);

    public double[] AsDoubles() => (double[])Data.Clone();
}
