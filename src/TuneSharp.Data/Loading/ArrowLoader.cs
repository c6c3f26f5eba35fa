// Streams the rows of an Arrow IPC file or stream (".arrow", datasets' save_to_disk shards) one record batch at a time.
using System.Text.Json.Nodes;
using Apache.Arrow;
using Apache.Arrow.Ipc;

namespace TuneSharp.Data.Loading;

/// <summary>
/// Both IPC framings are read: the file format (starts with "ARROW1", what pyarrow's <c>ipc.new_file</c> and
/// <c>.arrow</c> exports write) and the stream format (what Hugging Face datasets' <c>save_to_disk</c> writes into
/// <c>data-0000k-of-0000n.arrow</c>). Nested columns (list, struct, map), dictionary-encoded strings and nulls become
/// JSON arrays, objects, strings and null. One record batch is in memory at a time.
/// </summary>
public static class ArrowLoader
{
    private static ReadOnlySpan<byte> FileMagic => "ARROW1"u8;

    public static IEnumerable<JsonObject> Stream(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        Span<byte> head = stackalloc byte[6];
        int got = fs.ReadAtLeast(head, 6, throwOnEndOfStream: false);
        fs.Position = 0;
        bool isFile = got == 6 && head.SequenceEqual(FileMagic);
        using ArrowStreamReader reader = isFile ? new ArrowFileReader(fs, leaveOpen: true) : new ArrowStreamReader(fs, leaveOpen: true);
        while (true)
        {
            RecordBatch? batch;
            try { batch = reader.ReadNextRecordBatch(); }
            catch (Exception e) when (e is IOException or InvalidDataException or InvalidOperationException or ArgumentException or NotSupportedException or IndexOutOfRangeException)
            {
                throw new DataFormatException($"not a readable Arrow IPC {(isFile ? "file" : "stream")} ({e.Message})", path, inner: e);
            }
            if (batch is null) yield break;
            using (batch)
            {
                var names = batch.Schema.FieldsList.Select(f => f.Name).ToArray();
                for (int r = 0; r < batch.Length; r++)
                {
                    var row = new JsonObject();
                    for (int c = 0; c < names.Length; c++) row[names[c]] = ArrowValues.ToJson(batch.Column(c), r);
                    yield return row;
                }
            }
        }
    }
}
