// One logged value: a metric of a step at a training step (loss, eval_loss, learning_rate, …).
namespace TuneSharp.Pipelines.Registry;

public sealed record MetricRow(long RowId, string Step, string Name, long TrainStep, double Value);
