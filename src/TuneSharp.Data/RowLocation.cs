// The one way rows are named in messages: "data.jsonl: row 3 (line 5)", rows counted from 1 as a person counts them.
namespace TuneSharp.Data;

/// <summary>
/// Names a dataset row for messages. Rows are 1-based records of their file (a CSV header, blank JSONL lines and the
/// brackets of a JSON array are not rows); the line is added when the loader knows it and it tells more than the row.
/// `data` verbs, <c>train</c> and the converters all use this, so one row has one name everywhere (issue 14).
/// </summary>
public static class RowLocation
{
    public static string Of(string? file, long row, long line = 0) =>
        $"{file ?? "dataset"}: row {row}{(line > 0 ? $" (line {line})" : "")}";
}
