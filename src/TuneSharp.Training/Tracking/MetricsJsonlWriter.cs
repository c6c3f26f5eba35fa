// Appends one JSON object per logged step to metrics.jsonl, flushed immediately so a crash loses nothing logged.
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace TuneSharp.Training.Tracking;

public sealed class MetricsJsonlWriter : IDisposable
{
    private readonly StreamWriter _writer;

    public MetricsJsonlWriter(string path, bool append)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        FilePath = path;
        _writer = new StreamWriter(new FileStream(path, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.Read), new UTF8Encoding(false));
    }

    public string FilePath { get; }

    /// <summary>Writes the fields in the given order; doubles are written with round-trip precision, NaN as null.</summary>
    public void Write(IEnumerable<KeyValuePair<string, object?>> fields)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            foreach (var (key, value) in fields)
            {
                switch (value)
                {
                    case null: json.WriteNull(key); break;
                    case double d when double.IsFinite(d): json.WriteNumber(key, d); break;
                    case double: json.WriteNull(key); break;
                    case float f when float.IsFinite(f): json.WriteNumber(key, f); break;
                    case float: json.WriteNull(key); break;
                    case int i: json.WriteNumber(key, i); break;
                    case long l: json.WriteNumber(key, l); break;
                    case bool b: json.WriteBoolean(key, b); break;
                    default: json.WriteString(key, Convert.ToString(value, CultureInfo.InvariantCulture)); break;
                }
            }
            json.WriteEndObject();
        }
        _writer.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
        _writer.Flush();
    }

    public void Dispose() => _writer.Dispose();
}
