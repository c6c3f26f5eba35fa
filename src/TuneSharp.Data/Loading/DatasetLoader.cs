// Loads a dataset file by format: JSON (array or object holding an array), JSONL, CSV/TSV, plain text.
namespace TuneSharp.Data.Loading;

/// <summary>The on-disk formats a dataset can be read from.</summary>
public enum DatasetFileFormat
{
    Auto,
    Json,
    Jsonl,
    Csv,
    Tsv,
    /// <summary>Plain text, one example per non-empty line (column "text").</summary>
    TextLines,
    /// <summary>Plain text, one example per file (column "text"); a folder loads every *.txt in it.</summary>
    TextDocument,
}
