// Optimizer hyperparameters with transformers TrainingArguments names and defaults (learning_rate, weight_decay, adam_*).
namespace TuneSharp.Nn.Optim;

/// <summary>Defaults as TrainingArguments: lr 5e-5, weight_decay 0, adam_beta1 0.9, adam_beta2 0.999, adam_epsilon 1e-8.</summary>
public sealed record OptimizerOptions
{
    public double LearningRate { get; init; } = 5e-5;

    public double WeightDecay { get; init; }

    public double Beta1 { get; init; } = 0.9;

    public double Beta2 { get; init; } = 0.999;

    public double Epsilon { get; init; } = 1e-8;

    public void Validate()
    {
        if (!(LearningRate >= 0) || double.IsInfinity(LearningRate)) throw new ConfigException($"optimizer: learning_rate must be ≥ 0, got {LearningRate}");
        if (!(WeightDecay >= 0)) throw new ConfigException($"optimizer: weight_decay must be ≥ 0, got {WeightDecay}");
        if (!(Beta1 >= 0 && Beta1 < 1)) throw new ConfigException($"optimizer: adam_beta1 must be in [0, 1), got {Beta1}");
        if (!(Beta2 >= 0 && Beta2 < 1)) throw new ConfigException($"optimizer: adam_beta2 must be in [0, 1), got {Beta2}");
        if (!(Epsilon >= 0)) throw new ConfigException($"optimizer: adam_epsilon must be ≥ 0, got {Epsilon}");
    }
}
