// One GGUF metadata value: its type and the boxed scalar, string or typed array (T[] for arrays of scalars).
namespace TuneSharp.Tensors.IO.Gguf;

public sealed class GgufValue(GgufValueType type, object value, GgufValueType? elementType = null)
{
    public GgufValueType Type { get; } = type;
    /// <summary>For arrays, the element type.</summary>
    public GgufValueType? ElementType { get; } = elementType;
    public object Value { get; } = value;

    public string AsString() => Value as string ?? throw new InvalidCastException($"GGUF value is {Type}, not a string");

    public long AsInt64() => Value switch
    {
        byte v => v, sbyte v => v, ushort v => v, short v => v, uint v => v, int v => v, ulong v => checked((long)v), long v => v,
        bool v => v ? 1 : 0,
        _ => throw new InvalidCastException($"GGUF value is {Type}, not an integer"),
    };

    public double AsDouble() => Value switch
    {
        float f => f, double d => d,
        _ => AsInt64(),
    };

    public bool AsBool() => Value is bool b ? b : AsInt64() != 0;

    /// <summary>The array converted to <typeparamref name="T"/> (e.g. int[] from any integer element type).</summary>
    public T[] AsArray<T>()
    {
        if (Value is T[] same) return same;
        if (Value is not Array a) throw new InvalidCastException($"GGUF value is {Type}, not an array");
        var r = new T[a.Length];
        for (int i = 0; i < a.Length; i++) r[i] = (T)Convert.ChangeType(a.GetValue(i)!, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
        return r;
    }

    public override string ToString() => Value is Array a ? $"{ElementType}[{a.Length}]" : Value.ToString() ?? "";
}
