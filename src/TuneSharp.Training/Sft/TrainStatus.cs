// How a training run ended (TrainOutcome.Status).
namespace TuneSharp.Training.Sft;

public enum TrainStatus
{
    /// <summary>Reached max_steps / num_train_epochs.</summary>
    Completed,

    /// <summary>Stopped by early_stopping_patience.</summary>
    EarlyStopped,

    /// <summary>Cancelled (Ctrl-C / SIGTERM); a checkpoint was saved, resume_from_checkpoint=true continues.</summary>
    Interrupted,
}
