// One row of a streamed formatting pass: where it came from, the raw row, what training sees and the untruncated form.
using System.Text.Json.Nodes;

namespace TuneSharp.Data.Formatting;

public sealed record StreamedExample(string File, long Row, JsonObject Value, FormattedExample Example, FormattedExample Untruncated);
