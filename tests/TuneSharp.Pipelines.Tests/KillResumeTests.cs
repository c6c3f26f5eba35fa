// kill -9 of a whole `pipeline run` (its process group) at random moments, then a rerun: always the same final artifacts.
using System.Diagnostics;
using System.Runtime.InteropServices;
using TuneSharp.Pipelines.Running;

namespace TuneSharp.Pipelines.Tests;

public sealed partial class KillResumeTests
{
    // Shell steps write their files slowly (a kill lands mid-write); the split step runs a `tunesharp` verb.
    private const string Yaml = """
        name: killme
        threads: 2
        steps:
          gen:
            kind: shell
            run: |
              for i in $(seq 1 40); do echo "{\"instruction\":\"q$i\",\"input\":\"\",\"output\":\"a$i\"}" >> $OUT/data.jsonl; done
              sleep 0.15
          parts:
            kind: shell
            run: for i in 1 2 3 4 5; do echo part$i > $OUT/part$i.txt; sleep 0.05; done
          split:
            kind: split
            needs: [gen]
            with: {input: "${steps.gen.out}/data.jsonl", test_size: 0.25, seed: 7}
          merge:
            kind: shell
            needs: [split, parts]
            run: |
              cat ${steps.split.out}/test.jsonl ${steps.parts.out}/*.txt > $OUT/merged.txt
              sleep 0.1
              sort -r ${steps.split.out}/train.jsonl >> $OUT/merged.txt
        """;

    internal const string Exam = "1. 질문: 선하증권은 누가 발행하나요?\n정답: 운송인이 발행합니다.\n2. 질문: 통관이란 무엇인가요?\n정답: 세관에 물품을 신고하는 절차입니다.\n3. 질문: FOB 조건에서 위험은 언제 넘어가나요?\n정답: 본선에 적재될 때 넘어갑니다.\n";

    private static int RunCli(string dir, int killAfterMs)
    {
        var psi = new ProcessStartInfo("setsid") { WorkingDirectory = dir, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in PipelineFixture.Tool.Concat(["pipeline", "run", "pipeline.yaml", "--no-registry"])) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        _ = p.StandardOutput.ReadToEndAsync();
        _ = p.StandardError.ReadToEndAsync();
        if (killAfterMs >= 0 && !p.WaitForExit(killAfterMs))
        {
            // setsid made the runner a process-group leader: SIGKILL the group (runner and its step processes), like a
            // crash. Only a group that is provably the runner's own is signalled (its id is our child's pid); otherwise
            // (setsid not yet effective) the runner's process tree is killed instead. Never a group we belong to.
            if (ProcessGroupOf(p.Id) == p.Id && p.Id > 1 && p.Id != Environment.ProcessId) _ = Kill(-p.Id, 9);
            else try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        }
        p.WaitForExit();
        return p.ExitCode;
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    /// <summary>The process group of a live process (field 5 of /proc/PID/stat), or −1 when it is gone.</summary>
    private static int ProcessGroupOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[2], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException) { return -1; }
    }

    private static Dictionary<string, string> Artifacts(string dir)
    {
        var steps = Path.Combine(dir, ".tunesharp/killme/steps");
        return Directory.GetDirectories(steps).ToDictionary(d => Path.GetFileName(d), d => ContentHasher.HashPath(d));
    }

    [Fact]
    public void RandomKillsThenRerunGiveIdenticalArtifacts()
    {
        using var reference = new PipelineFixture();
        File.WriteAllText(reference.File("exam.txt"), Exam);
        reference.Write(Yaml);
        var sw = Stopwatch.StartNew();
        Assert.Equal(0, RunCli(reference.Dir, -1));
        int fullMs = (int)sw.ElapsedMilliseconds;
        var expected = Artifacts(reference.Dir);
        Assert.Equal(4, expected.Count);

        var rng = new Random(12345);
        int kills = 0;
        for (int trial = 0; trial < 5; trial++)
        {
            using var f = new PipelineFixture();
            File.WriteAllText(f.File("exam.txt"), Exam);
            f.Write(Yaml);
            // Two kills per trial: one in a fresh run, one in the resumed run, then a run to the end.
            for (int k = 0; k < 2; k++, kills++) RunCli(f.Dir, rng.Next(50, fullMs));
            Assert.Equal(0, RunCli(f.Dir, -1));
            Assert.Equal(expected, Artifacts(f.Dir));
            Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(f.Dir, ".tunesharp/killme/tmp")));
        }
        Assert.True(kills >= 10);
    }
}
