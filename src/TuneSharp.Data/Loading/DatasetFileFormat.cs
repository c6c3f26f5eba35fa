// The on-disk formats a dataset can be read from (JSON, JSONL, CSV/TSV, text, Parquet, Arrow IPC).
namespace TuneSharp.Data.Loading;

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
    /// <summary>Apache Parquet (the Hugging Face Hub's storage format), read one row group at a time.</summary>
    Parquet,
    /// <summary>Arrow IPC, file ("ARROW1" magic) or stream format (what datasets' save_to_disk writes), one record batch at a time.</summary>
    Arrow,
}
