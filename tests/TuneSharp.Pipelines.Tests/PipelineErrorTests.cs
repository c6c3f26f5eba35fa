// Bad pipelines fail before anything runs, with the file, line, step and a fix: YAML syntax, kinds, needs, cycles, inputs.
using TuneSharp.Pipelines.Model;

namespace TuneSharp.Pipelines.Tests;

public sealed class PipelineErrorTests
{
    private static PipelineException Fail(string yaml)
    {
        using var f = new PipelineFixture();
        var path = f.Write(yaml);
        var e = Assert.Throws<PipelineException>(() => PipelineValidator.Validate(PipelineParser.Load(path)));
        Assert.False(Directory.Exists(Path.Combine(f.Dir, ".tunesharp")), "nothing may run or be created");
        return e;
    }

    [Fact]
    public void YamlSyntaxErrorNamesLine()
    {
        var e = Fail("name: x\nsteps:\n  a:\n    kind: shell\n    run: [unclosed\n");
        Assert.Contains("pipeline.yaml: line", e.Message);
        Assert.Contains("invalid YAML", e.Message);
    }

    [Fact]
    public void UnknownKindSuggestsClosest()
    {
        var e = Fail("name: x\nsteps:\n  prep:\n    kind: shel\n    run: echo\n  fit:\n    kind: trian\n    with: {config: c.yaml}\n");
        Assert.Contains("line 3: step 'prep': unknown kind 'shel' (did you mean 'shell'?)", e.Message);
        Assert.Contains("line 6: step 'fit': unknown kind 'trian' (did you mean 'train'?)", e.Message);
    }

    [Fact]
    public void UnknownNeedAndCycleNameTheSteps()
    {
        var e = Fail("name: x\nsteps:\n  a:\n    kind: shell\n    run: echo\n    needs: [bb]\n  b:\n    kind: shell\n    run: echo\n");
        Assert.Contains("line 6: step 'a' needs unknown step 'bb' (did you mean 'b'?)", e.Message);
        var c = Fail("name: x\nsteps:\n  a:\n    kind: shell\n    run: echo\n    needs: [c]\n  b:\n    kind: shell\n    run: echo\n    needs: [a]\n  c:\n    kind: shell\n    run: echo\n    needs: [b]\n");
        Assert.Contains("cycle a → c → b → a", c.Message);
        Assert.Contains("'a' (line 3)", c.Message);
    }

    [Fact]
    public void UnknownSettingAndKeySuggest()
    {
        var e = Fail("name: x\nsteps:\n  s:\n    kind: split\n    with: {input: d.jsonl, tset_size: 0.1}\n");
        Assert.Contains("'tset_size' is not a setting of kind 'split' (did you mean 'test_size'?)", e.Message);
        Assert.Contains("kind 'split' needs with: {test_size: …}", e.Message);
        var k = Fail("name: x\nsteps:\n  s:\n    kind: shell\n    run: echo\n    need: [a]\n");
        Assert.Contains("line 6: step 's': unknown key 'need' (did you mean 'needs'?)", k.Message);
    }

    [Fact]
    public void MissingInputsAreNamedBeforeAnythingRuns()
    {
        var e = Fail("name: x\nsteps:\n  first:\n    kind: shell\n    run: touch $OUT/x\n  conv:\n    kind: convert\n    with: {converter: exam, input: data/exam.txt}\n"
            + "  fit:\n    kind: train\n    needs: [conv]\n    with: {config: nope.yaml}\n");
        Assert.Contains("missing inputs (nothing has run)", e.Message);
        Assert.Contains("line 8: step 'conv': input", e.Message);
        Assert.Contains("data/exam.txt' does not exist", e.Message);
        Assert.Contains("step 'fit': config", e.Message);
    }

    [Fact]
    public void BudgetsAreChecked()
    {
        var e = Fail("name: x\nthreads: 2\nmemory: 1GB\nsteps:\n  a:\n    kind: shell\n    run: echo\n    threads: 3\n    memory: 2GB\n");
        Assert.Contains("threads 3 exceeds the pipeline's budget of 2", e.Message);
        Assert.Contains("exceeds the pipeline's budget of 953.7MiB", e.Message);
    }

    [Fact]
    public void MissingVerbIsNamed()
    {
        using var f = new PipelineFixture();
        System.IO.File.WriteAllText(f.File("p.jsonl"), "{}\n");
        var p = PipelineParser.Load(f.Write("name: x\nsteps:\n  e:\n    kind: eval\n    with: {predictions: p.jsonl}\n"));
        var e = Assert.Throws<PipelineException>(() => PipelineValidator.Validate(p, new HashSet<string> { "train", "data", "pipeline" }));
        Assert.Contains("kind 'eval' calls `tunesharp eval`, which this build does not have", e.Message);
    }
}
