// TensorBoard event files: TFRecord framing with masked CRC32C and the Event protobuf encoding.
using System.Buffers.Binary;
using System.Text;
using TuneSharp.Training.Tracking;

namespace TuneSharp.Training.Tests;

public sealed class TensorBoardWriterTests
{
    [Fact]
    public void Crc32CMatchesTheStandardCheckValue()
    {
        // CRC-32C check value for "123456789" is 0xE3069283 (RFC 3720 B.4); unmask to compare.
        uint masked = TensorBoardWriter.MaskedCrc32C(Encoding.ASCII.GetBytes("123456789"));
        uint rot = masked - 0xa282ead8u;
        uint crc = (rot << 15) | (rot >> 17);
        Assert.Equal(0xE3069283u, crc);
    }

    [Fact]
    public void RecordsAreFramedAndCarryScalars()
    {
        var dir = Directory.CreateTempSubdirectory("tunesharp-tb-").FullName;
        try
        {
            string path;
            using (var w = new TensorBoardWriter(dir))
            {
                w.AddScalar("train/loss", 2.5, 1);
                w.AddScalar("train/loss", 1.25, 2);
                path = w.FilePath;
            }
            Assert.StartsWith("events.out.tfevents.", Path.GetFileName(path));
            var bytes = File.ReadAllBytes(path);
            var records = new List<byte[]>();
            int pos = 0;
            while (pos < bytes.Length)
            {
                ulong len = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(pos));
                Assert.Equal(TensorBoardWriter.MaskedCrc32C(bytes.AsSpan(pos, 8)), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(pos + 8)));
                var data = bytes.AsSpan(pos + 12, (int)len).ToArray();
                Assert.Equal(TensorBoardWriter.MaskedCrc32C(data), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(pos + 12 + (int)len)));
                records.Add(data);
                pos += 12 + (int)len + 4;
            }
            Assert.Equal(3, records.Count);
            Assert.Contains("brain.Event:2", Encoding.ASCII.GetString(records[0]));
            Assert.Contains("train/loss", Encoding.ASCII.GetString(records[2]));
            // simple_value (tag 0x15) is followed by the float 1.25 little-endian.
            var tail = records[2].AsSpan(records[2].Length - 5);
            Assert.Equal(0x15, tail[0]);
            Assert.Equal(1.25f, BinaryPrimitives.ReadSingleLittleEndian(tail[1..]));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
