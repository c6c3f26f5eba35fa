// What one `llm-extract` run did: chunks in total, already done before it, done now, failed (to retry), rows written.
namespace TuneSharp.Data.Converters;

public sealed record LlmExtractSummary(int Chunks, int Resumed, int Done, int Failed, int RowsWritten, int RowsInOutput, string ProgressPath);
