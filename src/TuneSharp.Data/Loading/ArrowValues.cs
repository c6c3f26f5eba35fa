// One cell of an Arrow array as JSON: primitives, strings, binary, lists, structs, maps, dictionaries (Arrow columnar spec).
using System.Text.Json.Nodes;
using Apache.Arrow;
using Apache.Arrow.Types;

namespace TuneSharp.Data.Loading;

internal static class ArrowValues
{
    public static JsonNode? ToJson(IArrowArray array, int index)
    {
        if (array.IsNull(index)) return null;
        switch (array)
        {
            case StringArray s: return JsonValue.Create(s.GetString(index));
            case LargeStringArray s: return JsonValue.Create(s.GetString(index));
            case StringViewArray s: return JsonValue.Create(s.GetString(index));
            case BooleanArray b: return JsonValue.Create(b.GetValue(index));
            case Int8Array a: return JsonValue.Create(a.GetValue(index));
            case Int16Array a: return JsonValue.Create(a.GetValue(index));
            case Int32Array a: return JsonValue.Create(a.GetValue(index));
            case Int64Array a: return JsonValue.Create(a.GetValue(index));
            case UInt8Array a: return JsonValue.Create(a.GetValue(index));
            case UInt16Array a: return JsonValue.Create(a.GetValue(index));
            case UInt32Array a: return JsonValue.Create(a.GetValue(index));
            case UInt64Array a: return JsonValue.Create(a.GetValue(index));
            case HalfFloatArray a: return JsonScalars.From(a.GetValue(index)!.Value);
            case FloatArray a: return JsonScalars.From(a.GetValue(index)!.Value);
            case DoubleArray a: return JsonScalars.From(a.GetValue(index)!.Value);
            case Decimal128Array a: return JsonScalars.From(a.GetValue(index)!.Value);
            case Date32Array a: return JsonScalars.From(a.GetDateOnly(index)!.Value);
            case Date64Array a: return JsonScalars.From(a.GetDateOnly(index)!.Value);
            case TimestampArray a: return JsonScalars.From(a.GetTimestamp(index)!.Value);
            case BinaryArray a when array.Data.DataType is not StringType: return JsonValue.Create(Convert.ToBase64String(a.GetBytes(index)));
            case ListArray l:
            {
                int start = l.ValueOffsets[index], end = l.ValueOffsets[index + 1];
                if (l is MapArray) return MapToJson(l.Values, start, end);
                return Items(l.Values, start, end);
            }
            case LargeListArray l: return Items(l.Values, (int)l.ValueOffsets[index], (int)l.ValueOffsets[index + 1]);
            case FixedSizeListArray l:
            {
                int size = ((FixedSizeListType)l.Data.DataType).ListSize;
                return Items(l.Values, (l.Offset + index) * size, (l.Offset + index + 1) * size);
            }
            case StructArray s:
            {
                var type = (StructType)s.Data.DataType;
                var o = new JsonObject();
                for (int f = 0; f < type.Fields.Count; f++) o[type.Fields[f].Name] = ToJson(s.Fields[f], index);
                return o;
            }
            case DictionaryArray d:
            {
                long key = d.Indices switch
                {
                    Int8Array i => i.GetValue(index)!.Value, Int16Array i => i.GetValue(index)!.Value, Int32Array i => i.GetValue(index)!.Value,
                    Int64Array i => i.GetValue(index)!.Value, UInt8Array i => i.GetValue(index)!.Value, UInt16Array i => i.GetValue(index)!.Value,
                    UInt32Array i => i.GetValue(index)!.Value, UInt64Array i => (long)i.GetValue(index)!.Value,
                    _ => throw new NotSupportedException($"dictionary index type {d.Indices.Data.DataType.Name}"),
                };
                return ToJson(d.Dictionary, checked((int)key));
            }
            case NullArray: return null;
            default:
                throw new NotSupportedException($"Arrow type {array.Data.DataType.Name} is not supported; convert the column to a string, number, list or struct");
        }
    }

    private static JsonArray Items(IArrowArray values, int start, int end)
    {
        var items = new JsonNode?[end - start];
        for (int k = start; k < end; k++) items[k - start] = ToJson(values, k);
        return new JsonArray(items);
    }

    // A map is a list of {key, value} structs; string keys make a JSON object, others a list of pairs.
    private static JsonNode MapToJson(IArrowArray entries, int start, int end)
    {
        var s = (StructArray)entries;
        var o = new JsonObject();
        for (int k = start; k < end; k++)
        {
            var key = ToJson(s.Fields[0], k);
            if (key is not JsonValue v || !v.TryGetValue<string>(out var name)) return Items(entries, start, end);
            o[name] = ToJson(s.Fields[1], k);
        }
        return o;
    }
}
