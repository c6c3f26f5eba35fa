// Reads pre-tokenized JSONL (one {"input_ids": [...], "labels": [...]} per line) with errors naming file, line and field.
using System.Text.Json;
using TuneSharp.Data;

namespace TuneSharp.Training.Sft;

public static class TokenizedJsonl
{
    /// <summary>
    /// Loads every non-empty line. <c>labels</c> default to <c>input_ids</c> when absent; an
    /// <c>attention_mask</c>, when present, drops the masked positions (they are padding in the file). Other fields are
    /// ignored. Throws <see cref="InvalidDataException"/> naming the file and line for a missing/empty
    /// <c>input_ids</c>, non-integer values, negative ids or a labels/input_ids length mismatch.
    /// </summary>
    public static List<TokenizedExample> Load(string path, int? vocabSize = null)
    {
        if (!File.Exists(path)) throw new DataFormatException("data file not found; check dataset.path", path);
        var list = new List<TokenizedExample>();
        int lineNo = 0, row = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            string where = TuneSharp.Data.RowLocation.Of(path, ++row, lineNo);
            JsonDocument doc;
            try { doc = JsonDocument.Parse(line); }
            catch (JsonException e) { throw new DataFormatException($"{where}: not valid JSON ({e.Message})", inner: e); }
            using (doc)
            {
                if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new DataFormatException($"{where}: expected a JSON object with input_ids");
                if (!doc.RootElement.TryGetProperty("input_ids", out var idsEl))
                    throw new DataFormatException($"{where}: row has no \"input_ids\" (data_format tokenized needs input_ids and optional labels)");
                var ids = ReadInts(idsEl, where, "input_ids");
                if (ids.Length == 0) throw new DataFormatException($"{where}: \"input_ids\" is empty");
                foreach (var id in ids)
                {
                    if (id < 0 || (vocabSize is { } v && id >= v))
                        throw new DataFormatException($"{where}: \"input_ids\" has token id {id} outside the vocabulary (0..{(vocabSize ?? int.MaxValue) - 1})");
                }
                int[] labels = ids;
                if (doc.RootElement.TryGetProperty("labels", out var labEl) && labEl.ValueKind != JsonValueKind.Null)
                {
                    labels = ReadInts(labEl, where, "labels");
                    if (labels.Length != ids.Length)
                        throw new DataFormatException($"{where}: \"labels\" has {labels.Length} values, \"input_ids\" {ids.Length}");
                    foreach (var l in labels)
                        if (l != TokenizedExample.IgnoreIndex && (l < 0 || (vocabSize is { } v && l >= v)))
                            throw new DataFormatException($"{where}: \"labels\" has {l}; expected a token id or -100");
                }
                else labels = (int[])ids.Clone();
                if (doc.RootElement.TryGetProperty("attention_mask", out var maskEl) && maskEl.ValueKind == JsonValueKind.Array)
                {
                    var mask = ReadInts(maskEl, where, "attention_mask");
                    if (mask.Length != ids.Length) throw new DataFormatException($"{where}: \"attention_mask\" has {mask.Length} values, \"input_ids\" {ids.Length}");
                    if (mask.Any(m => m == 0))
                    {
                        var keep = Enumerable.Range(0, ids.Length).Where(i => mask[i] != 0).ToArray();
                        ids = keep.Select(i => ids[i]).ToArray();
                        labels = keep.Select(i => labels[i]).ToArray();
                        if (ids.Length == 0) throw new DataFormatException($"{where}: \"attention_mask\" masks every token");
                    }
                }
                list.Add(new TokenizedExample(ids, labels));
            }
        }
        if (list.Count == 0) throw new DataFormatException($"{path}: no rows");
        return list;
    }

    private static int[] ReadInts(JsonElement el, string where, string field)
    {
        if (el.ValueKind != JsonValueKind.Array) throw new DataFormatException($"{where}: \"{field}\" must be an array of integers");
        var r = new int[el.GetArrayLength()];
        int i = 0;
        foreach (var x in el.EnumerateArray())
        {
            if (x.ValueKind != JsonValueKind.Number || !x.TryGetInt32(out r[i]))
                throw new DataFormatException($"{where}: \"{field}\"[{i}] is not an integer ({x.GetRawText()})");
            i++;
        }
        return r;
    }
}
