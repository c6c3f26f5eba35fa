// Writes TensorBoard scalar event files (TFRecord framing + hand-encoded Event protobufs), flushed as training goes.
// Format per FORMATS.md: u64 length, u32 masked CRC32C(length), data, u32 masked CRC32C(data);
// Event{wall_time=1 double, step=2 int64, file_version=3 string, summary=5 {value=1 [{tag=1, simple_value=2 float}]}}.
using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace TuneSharp.Training.Tracking;

public sealed class TensorBoardWriter : IDisposable
{
    private readonly FileStream _stream;

    /// <summary>Creates <c>events.out.tfevents.&lt;unix time&gt;.&lt;host&gt;</c> in <paramref name="logDir"/>.</summary>
    public TensorBoardWriter(string logDir)
    {
        Directory.CreateDirectory(logDir);
        var now = DateTimeOffset.UtcNow;
        FilePath = Path.Combine(logDir, $"events.out.tfevents.{now.ToUnixTimeSeconds()}.{Environment.MachineName}");
        _stream = new FileStream(FilePath, FileMode.Create, FileAccess.Write, FileShare.Read);
        WriteRecord(EncodeEvent(now.ToUnixTimeMilliseconds() / 1000.0, 0, fileVersion: "brain.Event:2", tag: null, value: 0));
        _stream.Flush();
    }

    public string FilePath { get; }

    /// <summary>Appends one scalar (e.g. "train/loss") at a step and flushes so TensorBoard sees it live.</summary>
    public void AddScalar(string tag, double value, long step)
    {
        WriteRecord(EncodeEvent(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0, step, null, tag, (float)value));
        _stream.Flush();
    }

    public void Dispose() => _stream.Dispose();

    private void WriteRecord(byte[] data)
    {
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], MaskedCrc32C(header[..8]));
        Span<byte> footer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(footer, MaskedCrc32C(data));
        _stream.Write(header);
        _stream.Write(data);
        _stream.Write(footer);
    }

    /// <summary>CRC32C (Castagnoli) masked as TFRecord requires: ((c &gt;&gt; 15) | (c &lt;&lt; 17)) + 0xa282ead8.</summary>
    public static uint MaskedCrc32C(ReadOnlySpan<byte> data)
    {
        uint crc = ~0u;
        foreach (var b in data) crc = BitOperations.Crc32C(crc, b);
        crc = ~crc;
        return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
    }

    private static byte[] EncodeEvent(double wallTime, long step, string? fileVersion, string? tag, float value)
    {
        var ms = new MemoryStream();
        ms.WriteByte(0x09); // field 1, wire type 1 (64-bit)
        Span<byte> b8 = stackalloc byte[8];
        BinaryPrimitives.WriteDoubleLittleEndian(b8, wallTime);
        ms.Write(b8);
        ms.WriteByte(0x10); // field 2, varint
        WriteVarint(ms, (ulong)step);
        if (fileVersion != null)
        {
            ms.WriteByte(0x1A); // field 3, length-delimited
            WriteBytes(ms, Encoding.UTF8.GetBytes(fileVersion));
        }
        if (tag != null)
        {
            var val = new MemoryStream();
            val.WriteByte(0x0A); // Value.tag
            WriteBytes(val, Encoding.UTF8.GetBytes(tag));
            val.WriteByte(0x15); // Value.simple_value, 32-bit
            Span<byte> b4 = stackalloc byte[4];
            BinaryPrimitives.WriteSingleLittleEndian(b4, value);
            val.Write(b4);
            var summary = new MemoryStream();
            summary.WriteByte(0x0A); // Summary.value
            WriteBytes(summary, val.ToArray());
            ms.WriteByte(0x2A); // Event.summary (field 5)
            WriteBytes(ms, summary.ToArray());
        }
        return ms.ToArray();
    }

    private static void WriteBytes(Stream s, byte[] bytes)
    {
        WriteVarint(s, (ulong)bytes.Length);
        s.Write(bytes);
    }

    private static void WriteVarint(Stream s, ulong v)
    {
        while (v >= 0x80)
        {
            s.WriteByte((byte)(v | 0x80));
            v >>= 7;
        }
        s.WriteByte((byte)v);
    }
}
