// Scalar values from columnar readers (Parquet, Arrow) as JSON values: numbers, booleans, ISO dates; NaN/∞ as strings.
using System.Globalization;
using System.Text.Json.Nodes;

namespace TuneSharp.Data.Loading;

internal static class JsonScalars
{
    public static JsonNode? From(object value) => value switch
    {
        bool b => JsonValue.Create(b),
        long l => JsonValue.Create(l),
        int i => JsonValue.Create(i),
        short s => JsonValue.Create(s),
        sbyte s => JsonValue.Create(s),
        byte b => JsonValue.Create(b),
        ushort u => JsonValue.Create(u),
        uint u => JsonValue.Create(u),
        ulong u => JsonValue.Create(u),
        double d => Real(d),
        float f => Real(f),
        Half h => Real((double)h),
        decimal m => JsonValue.Create(m),
        DateTime t => JsonValue.Create(t.ToString("O", CultureInfo.InvariantCulture)),
        DateTimeOffset t => JsonValue.Create(t.ToString("O", CultureInfo.InvariantCulture)),
        DateOnly d => JsonValue.Create(d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
        TimeOnly t => JsonValue.Create(t.ToString("O", CultureInfo.InvariantCulture)),
        TimeSpan t => JsonValue.Create(t.ToString("c", CultureInfo.InvariantCulture)),
        Guid g => JsonValue.Create(g.ToString()),
        _ => JsonValue.Create(Convert.ToString(value, CultureInfo.InvariantCulture)),
    };

    // JSON has no NaN/Infinity; keep them visible as strings rather than failing or inventing a number.
    private static JsonNode Real(double d) =>
        double.IsFinite(d) ? JsonValue.Create(d) : JsonValue.Create(d.ToString(CultureInfo.InvariantCulture));
}
