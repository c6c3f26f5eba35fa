// The coverage map of issue 11: for every key in ConfigKeys.All(), the tests that show its effect (nameof, so a rename breaks the build).
using System.Reflection;
using System.Text.RegularExpressions;
using TuneSharp.Training.Config;

namespace TuneSharp.Training.Tests;

/// <summary>
/// A new option cannot ship without a test that shows what it does: <see cref="EveryKeyHasAnEffectTest"/> fails naming
/// each key missing from <see cref="Map"/>, each entry for a key that no longer exists, and each reference that is not a test.
/// Keys whose test shows equivalence rather than a visible difference (the effect is memory or when work happens) say so.
/// </summary>
public sealed class ConfigKeyCoverageTests
{
    private static (Type? Class, string Method) T<TClass>(string method) => (typeof(TClass), method);

    /// <summary>
    /// A test in another test project (this one cannot reference it): "path/under/tests/File.cs", method. Checked by
    /// reading that file, so a rename fails this test rather than the build.
    /// </summary>
    private static (Type? Class, string Method) X(string file, string method) => (null, file + "#" + method);

    /// <summary>Key → the tests that show its effect.</summary>
    public static readonly IReadOnlyDictionary<string, (Type? Class, string Method)[]> Map = new Dictionary<string, (Type?, string)[]>
    {
        ["model.name_or_path"] = [T<RunKeyEffectTests>(nameof(RunKeyEffectTests.ModelKeysPickTheWeightsAndQuantizeThem))],
        ["model.max_seq_length"] = [T<RunKeyEffectTests>(nameof(RunKeyEffectTests.DatasetKeysChooseRowsAndWhatIsTrained)), T<TrainerKeyEffectTests>(nameof(TrainerKeyEffectTests.SectionTwinsSetTheTrainingKeys))],
        ["model.load_in_4bit"] = [T<RunKeyEffectTests>(nameof(RunKeyEffectTests.ModelKeysPickTheWeightsAndQuantizeThem))],
        ["model.bnb_4bit_use_double_quant"] = [T<RunKeyEffectTests>(nameof(RunKeyEffectTests.ModelKeysPickTheWeightsAndQuantizeThem))],
        ["model.dtype"] = [T<ConfigKeyEffectTests>(nameof(ConfigKeyEffectTests.PadTokenPaddingSideDtypeRunNameAndLoggingDirTakeEffect))],

        ["dataset.path"] = [T<RunKeyEffectTests>(nameof(RunKeyEffectTests.DatasetKeysChooseRowsAndWhatIsTrained))],
        ["dataset.data_files"] = [T<RunKeyEffectTests>(nameof(RunKeyEffectTests.SplitsAndInstructionTemplateSelectAndMaskRows))],
        ["dataset.split"] = [T<RunKeyEffectTests>(nameof(RunKeyEffectTests.SplitsAndInstructionTemplateSelectAndMaskRows))],
        ["dataset.eval_split"] = [T<RunKeyEffectTests>(nameof(RunKeyEffectTests.SplitsAndInstructionTemplateSelectAndMaskRows))],
        ["dataset.instruction_template"] = [T<RunKeyEffectTests>(nameof(RunKeyEffectTests.SplitsAndInstructionTemplateSelectAndMaskRows))],
        ["dataset.eval_path"] = [T<RunKeyEffectTests>(nameof(RunKeyEffectTests.DatasetKeysChooseRowsAndWhatIsTrained))],
        ["dataset.format"] = [T<RunKeyEffectTests>(nameof(RunKeyEffectTests.DatasetKeysChooseRowsAndWhatIsTrained)), T<RunKeyEffectTests>(nameof(RunKeyEffectTests.TokenizerPathAndChatTemplateAreTheOnesUsed))],
        ["dataset.file_format"] = [T<ConfigKeyEffectTests>(nameof(ConfigKeyEffectTests.FileFormatOverridesTheExtension))],
        ["dataset.template"] = [T<RunKeyEffectTests>(nameof(RunKeyEffectTests.DatasetKeysChooseRowsAndWhatIsTrained))],
        ["dataset.response_template"] = [T<RunKeyEffectTests>(nameof(RunKeyEffectTests.DatasetKeysChooseRowsAndWhatIsTrained)), T<RunKeyEffectTests>(nameof(RunKeyEffectTests.SplitsAndInstructionTemplateSelectAndMaskRows))],
        ["dataset.columns"] = [T<RunKeyEffectTests>(nameof(RunKeyEffectTests.DatasetKeysChooseRowsAndWhatIsTrained))],
        ["dataset.test_size"] = [T<RunKeyEffectTests>(nameof(RunKeyEffectTests.DatasetKeysChooseRowsAndWhatIsTrained))],
        ["dataset.max_samples"] = [T<ConfigKeyEffectTests>(nameof(ConfigKeyEffectTests.MaxSamplesTakesASeededSubsetAfterShuffling))],
        ["dataset.packing"] = [T<TrainerKeyEffectTests>(nameof(TrainerKeyEffectTests.SectionTwinsSetTheTrainingKeys)), T<TrainerTests>(nameof(TrainerTests.GradientCheckpointingAndPackingTrain))],

        ["tokenizer.path"] = [T<RunKeyEffectTests>(nameof(RunKeyEffectTests.TokenizerPathAndChatTemplateAreTheOnesUsed))],
        ["tokenizer.padding_side"] = [T<ConfigKeyEffectTests>(nameof(ConfigKeyEffectTests.PadTokenPaddingSideDtypeRunNameAndLoggingDirTakeEffect))],
        ["tokenizer.pad_token"] = [T<ConfigKeyEffectTests>(nameof(ConfigKeyEffectTests.PadTokenPaddingSideDtypeRunNameAndLoggingDirTakeEffect))],
        ["tokenizer.chat_template"] = [T<RunKeyEffectTests>(nameof(RunKeyEffectTests.TokenizerPathAndChatTemplateAreTheOnesUsed))],

        ["lora.enabled"] = [T<RunKeyEffectTests>(nameof(RunKeyEffectTests.LoraKeysShapeTheAdapter))],
        ["lora.r"] = [T<RunKeyEffectTests>(nameof(RunKeyEffectTests.LoraKeysShapeTheAdapter))],
        ["lora.lora_alpha"] = [T<RunKeyEffectTests>(nameof(RunKeyEffectTests.LoraKeysShapeTheAdapter))],
        ["lora.lora_dropout"] = [T<RunKeyEffectTests>(nameof(RunKeyEffectTests.LoraKeysShapeTheAdapter))],
        ["lora.target_modules"] = [T<RunKeyEffectTests>(nameof(RunKeyEffectTests.LoraKeysShapeTheAdapter))],
        ["lora.use_rslora"] = [T<RunKeyEffectTests>(nameof(RunKeyEffectTests.LoraKeysShapeTheAdapter))],
        // Only none is accepted (PEFT's default); the test shows any other value is refused, not ignored.
        ["lora.bias"] = [T<RunKeyEffectTests>(nameof(RunKeyEffectTests.LoraKeysShapeTheAdapter))],
        ["lora.modules_to_save"] = [T<RunKeyEffectTests>(nameof(RunKeyEffectTests.LoraKeysShapeTheAdapter))],
        ["lora.init_adapter"] = [T<RunKeyEffectTests>(nameof(RunKeyEffectTests.LoraKeysShapeTheAdapter))],

        ["training.output_dir"] = [T<CheckpointTests>(nameof(CheckpointTests.CheckpointHoldsAdapterStateAndTransformersTrainerState))],
        ["training.per_device_train_batch_size"] = [T<TrainerTests>(nameof(TrainerTests.StepCountsEpochsAndLoggingWindowFollowTransformers)), T<TrainerTests>(nameof(TrainerTests.AccumulationOfTwoEqualMicroBatchesMatchesOneBatchOfTwo))],
        ["training.per_device_eval_batch_size"] = [T<TrainerKeyEffectTests>(nameof(TrainerKeyEffectTests.ShuffleAndEvalBatchSizeChangeWhatIsComputed))],
        ["training.gradient_accumulation_steps"] = [T<TrainerTests>(nameof(TrainerTests.StepCountsEpochsAndLoggingWindowFollowTransformers)), T<TrainerTests>(nameof(TrainerTests.AccumulationOfTwoEqualMicroBatchesMatchesOneBatchOfTwo))],
        ["training.num_train_epochs"] = [T<TrainerTests>(nameof(TrainerTests.StepCountsEpochsAndLoggingWindowFollowTransformers))],
        ["training.max_steps"] = [T<TrainerTests>(nameof(TrainerTests.EarlyStoppingStopsAfterPatienceEvaluationsWithoutImprovement)), T<CheckpointTests>(nameof(CheckpointTests.CheckpointHoldsAdapterStateAndTransformersTrainerState))],
        ["training.learning_rate"] = [T<TrainerKeyEffectTests>(nameof(TrainerKeyEffectTests.OptimizerKeysReachTheOptimizer)), T<TrainerKeyEffectTests>(nameof(TrainerKeyEffectTests.ScheduleKeysShapeTheLoggedLearningRate))],
        ["training.weight_decay"] = [T<TrainerKeyEffectTests>(nameof(TrainerKeyEffectTests.OptimizerKeysReachTheOptimizer))],
        ["training.adam_beta_1"] = [T<TrainerKeyEffectTests>(nameof(TrainerKeyEffectTests.OptimizerKeysReachTheOptimizer))],
        ["training.adam_beta_2"] = [T<TrainerKeyEffectTests>(nameof(TrainerKeyEffectTests.OptimizerKeysReachTheOptimizer))],
        ["training.adam_epsilon"] = [T<TrainerKeyEffectTests>(nameof(TrainerKeyEffectTests.OptimizerKeysReachTheOptimizer))],
        ["training.max_grad_norm"] = [T<TrainerKeyEffectTests>(nameof(TrainerKeyEffectTests.MaxGradNormClipsTheUpdate))],
        ["training.optim"] = [T<TrainerKeyEffectTests>(nameof(TrainerKeyEffectTests.OptimizerKeysReachTheOptimizer)), T<ResumeTests>(nameof(ResumeTests.ResumeFromCheckpointGivesTheSameLossesAsAnUninterruptedRun))],
        ["training.lr_scheduler_type"] = [T<TrainerKeyEffectTests>(nameof(TrainerKeyEffectTests.ScheduleKeysShapeTheLoggedLearningRate))],
        ["training.warmup_steps"] = [T<TrainerKeyEffectTests>(nameof(TrainerKeyEffectTests.ScheduleKeysShapeTheLoggedLearningRate))],
        ["training.warmup_ratio"] = [T<TrainerKeyEffectTests>(nameof(TrainerKeyEffectTests.ScheduleKeysShapeTheLoggedLearningRate))],
        ["training.logging_steps"] = [T<TrainerTests>(nameof(TrainerTests.StepCountsEpochsAndLoggingWindowFollowTransformers))],
        ["training.eval_strategy"] = [T<TrainerTests>(nameof(TrainerTests.EarlyStoppingStopsAfterPatienceEvaluationsWithoutImprovement)), T<TrackingTests>(nameof(TrackingTests.MetricsJsonlAndTensorBoardAreWritten))],
        ["training.eval_generation_metrics"] = [T<RunKeyEffectTests>(nameof(RunKeyEffectTests.GenerationEvalKeysSetRowsTokensAndMetrics)), X(GenerationMetrics, "MetricsAreLoggedAndPickTheBestModel")],
        ["training.eval_generation_max_new_tokens"] = [T<RunKeyEffectTests>(nameof(RunKeyEffectTests.GenerationEvalKeysSetRowsTokensAndMetrics))],
        ["training.eval_generation_samples"] = [T<RunKeyEffectTests>(nameof(RunKeyEffectTests.GenerationEvalKeysSetRowsTokensAndMetrics)), X(GenerationMetrics, "MetricsAreLoggedAndPickTheBestModel")],
        ["training.eval_embedding_model"] = [X(GenerationMetrics, "MetricsAreLoggedAndPickTheBestModel"), X(GenerationMetrics, "BadSettingsAreConfigErrors")],
        ["training.eval_steps"] = [T<TrainerTests>(nameof(TrainerTests.EarlyStoppingStopsAfterPatienceEvaluationsWithoutImprovement)), T<TrackingTests>(nameof(TrackingTests.MetricsJsonlAndTensorBoardAreWritten))],
        ["training.save_strategy"] = [T<CheckpointTests>(nameof(CheckpointTests.CheckpointHoldsAdapterStateAndTransformersTrainerState))],
        ["training.save_steps"] = [T<CheckpointTests>(nameof(CheckpointTests.CheckpointHoldsAdapterStateAndTransformersTrainerState))],
        ["training.save_total_limit"] = [T<CheckpointTests>(nameof(CheckpointTests.SaveTotalLimitAndLoadBestModelAtEnd))],
        ["training.load_best_model_at_end"] = [T<CheckpointTests>(nameof(CheckpointTests.SaveTotalLimitAndLoadBestModelAtEnd))],
        ["training.metric_for_best_model"] = [T<TrainerKeyEffectTests>(nameof(TrainerKeyEffectTests.GreaterIsBetterAndMetricPickTheBestCheckpoint)), X(GenerationMetrics, "MetricsAreLoggedAndPickTheBestModel")],
        ["training.greater_is_better"] = [T<TrainerKeyEffectTests>(nameof(TrainerKeyEffectTests.GreaterIsBetterAndMetricPickTheBestCheckpoint))],
        ["training.early_stopping_patience"] = [T<TrainerTests>(nameof(TrainerTests.EarlyStoppingStopsAfterPatienceEvaluationsWithoutImprovement))],
        ["training.early_stopping_threshold"] = [T<TrainerTests>(nameof(TrainerTests.EarlyStoppingStopsAfterPatienceEvaluationsWithoutImprovement))],
        ["training.seed"] = [T<ConfigKeyEffectTests>(nameof(ConfigKeyEffectTests.MaxSamplesTakesASeededSubsetAfterShuffling)), T<TrainerKeyEffectTests>(nameof(TrainerKeyEffectTests.ShuffleAndEvalBatchSizeChangeWhatIsComputed))],
        // Equivalence only: the effect (activations recomputed, less memory) is not visible in results; the test shows the losses stay the same.
        ["training.gradient_checkpointing"] = [T<TrainerTests>(nameof(TrainerTests.GradientCheckpointingAndPackingTrain))],
        ["training.max_seq_length"] = [T<RunKeyEffectTests>(nameof(RunKeyEffectTests.DatasetKeysChooseRowsAndWhatIsTrained))],
        ["training.packing"] = [T<TrainerTests>(nameof(TrainerTests.GradientCheckpointingAndPackingTrain)), T<RunKeyEffectTests>(nameof(RunKeyEffectTests.DatasetKeysChooseRowsAndWhatIsTrained))],
        ["training.completion_only_loss"] = [T<RunKeyEffectTests>(nameof(RunKeyEffectTests.DatasetKeysChooseRowsAndWhatIsTrained))],
        ["training.resume_from_checkpoint"] = [T<ResumeTests>(nameof(ResumeTests.ResumeFromCheckpointGivesTheSameLossesAsAnUninterruptedRun))],
        ["training.overwrite_output_dir"] = [T<OutputFolderSafetyTests>(nameof(OutputFolderSafetyTests.FreshRunIntoAUsedFolderRefusesUnlessOverwriteOrResume))],
        ["training.shuffle"] = [T<TrainerKeyEffectTests>(nameof(TrainerKeyEffectTests.ShuffleAndEvalBatchSizeChangeWhatIsComputed))],
        ["training.nan_policy"] = [T<TrainerTests>(nameof(TrainerTests.NanLossWithSkipPolicySkipsTheStep)), T<TrainerTests>(nameof(TrainerTests.NanLossAbortsNamingTheStepAndLeavesWeightsUntouched))],
        ["training.run_name"] = [T<TrainerKeyEffectTests>(nameof(TrainerKeyEffectTests.SectionTwinsSetTheTrainingKeys)), T<ConfigKeyEffectTests>(nameof(ConfigKeyEffectTests.PadTokenPaddingSideDtypeRunNameAndLoggingDirTakeEffect))],
        ["training.logging_dir"] = [T<TrainerKeyEffectTests>(nameof(TrainerKeyEffectTests.SectionTwinsSetTheTrainingKeys)), T<ConfigKeyEffectTests>(nameof(ConfigKeyEffectTests.PadTokenPaddingSideDtypeRunNameAndLoggingDirTakeEffect))],
        ["training.report_to"] = [T<ConfigKeyEffectTests>(nameof(ConfigKeyEffectTests.PadTokenPaddingSideDtypeRunNameAndLoggingDirTakeEffect)), T<TrackingTests>(nameof(TrackingTests.MetricsJsonlAndTensorBoardAreWritten))],
        ["training.threads"] = [T<ThreadsKeyEffectTests>(nameof(ThreadsKeyEffectTests.ThreadsSetsTheKernelPool))],
        ["training.method"] = [T<PreferenceParityTests>(nameof(PreferenceParityTests.TenStepsMatchPyTorch))],
        ["training.loss_type"] = [T<PreferenceParityTests>(nameof(PreferenceParityTests.TenStepsMatchPyTorch))],
        ["training.beta"] = [T<PreferenceParityTests>(nameof(PreferenceParityTests.TenStepsMatchPyTorch))],
        ["training.label_smoothing"] = [T<PreferenceParityTests>(nameof(PreferenceParityTests.TenStepsMatchPyTorch))],
        ["training.simpo_gamma"] = [T<PreferenceParityTests>(nameof(PreferenceParityTests.TenStepsMatchPyTorch))],
        ["training.cpo_alpha"] = [T<PreferenceParityTests>(nameof(PreferenceParityTests.TenStepsMatchPyTorch))],
        ["training.max_prompt_length"] = [T<PreferenceTrainerTests>(nameof(PreferenceTrainerTests.CollatorTruncatesAsTrl))],
        ["training.max_completion_length"] = [T<PreferenceTrainerTests>(nameof(PreferenceTrainerTests.CollatorTruncatesAsTrl))],
        ["training.truncation_mode"] = [T<PreferenceTrainerTests>(nameof(PreferenceTrainerTests.CollatorTruncatesAsTrl))],
        // Equivalence only: the effect (the reference runs once before training) is not visible in results; the test shows the losses stay the same.
        ["training.precompute_ref_log_probs"] = [T<PreferenceTrainerTests>(nameof(PreferenceTrainerTests.PrecomputedReferenceEqualsOnTheFlyAndEvaluationReportsRewards))],

        ["tracking.run_name"] = [T<ConfigKeyEffectTests>(nameof(ConfigKeyEffectTests.PadTokenPaddingSideDtypeRunNameAndLoggingDirTakeEffect)), T<TrainerKeyEffectTests>(nameof(TrainerKeyEffectTests.SectionTwinsSetTheTrainingKeys))],
        ["tracking.logging_dir"] = [T<ConfigKeyEffectTests>(nameof(ConfigKeyEffectTests.PadTokenPaddingSideDtypeRunNameAndLoggingDirTakeEffect)), T<TrainerKeyEffectTests>(nameof(TrainerKeyEffectTests.SectionTwinsSetTheTrainingKeys))],
        ["tracking.report_to"] = [T<TrainerKeyEffectTests>(nameof(TrainerKeyEffectTests.SectionTwinsSetTheTrainingKeys)), T<ConfigKeyEffectTests>(nameof(ConfigKeyEffectTests.PadTokenPaddingSideDtypeRunNameAndLoggingDirTakeEffect))],
    };

    private const string GenerationMetrics = "TuneSharp.Evaluation.Tests/Training/GenerationMetricsDuringTrainingTests.cs";

    [Fact]
    public void EveryKeyHasAnEffectTest()
    {
        var keys = ConfigKeys.All().Select(k => k.Name).ToList();
        var problems = new List<string>();
        foreach (var key in keys.Where(k => !Map.ContainsKey(k)))
            problems.Add($"{key}: no test shows its effect; add one and list it in ConfigKeyCoverageTests.Map (or remove the key)");
        foreach (var key in Map.Keys.Except(keys))
            problems.Add($"{key}: listed in ConfigKeyCoverageTests.Map but not a config key any more");
        foreach (var (key, tests) in Map)
        {
            if (tests.Length == 0) problems.Add($"{key}: empty test list");
            foreach (var (type, method) in tests)
            {
                if (type == null)
                {
                    var (file, name) = (method[..method.IndexOf('#')], method[(method.IndexOf('#') + 1)..]);
                    var path = Path.Combine(Testing.SharedAssets.RepoRoot, "tests", file);
                    if (!File.Exists(path) || !Regex.IsMatch(File.ReadAllText(path), @"\[(Fact|Theory)[^\]]*\]\s*(\[[^\]]*\]\s*)*public (async Task|void) " + Regex.Escape(name) + @"\("))
                        problems.Add($"{key}: tests/{file} has no [Fact] or [Theory] {name}");
                    continue;
                }
                var m = type.GetMethod(method, BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static);
                if (m == null || !m.GetCustomAttributes<FactAttribute>().Any())
                    problems.Add($"{key}: {type.Name}.{method} is not a [Fact] or [Theory]");
            }
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }
}
