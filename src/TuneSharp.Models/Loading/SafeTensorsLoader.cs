// Loads an HF model folder: config.json + single or sharded safetensors, names mapped only through WeightNames.
using TuneSharp.Models.Config;
using TuneSharp.Tensors;
using TuneSharp.Tensors.IO;

namespace TuneSharp.Models.Loading;

internal static class SafeTensorsLoader
{
    public static CausalLM Load(string folder, ModelLoadOptions options)
    {
        ModelConfig config;
        try { config = ModelConfig.Load(folder); }
        catch (ConfigException e) { throw new ModelLoadException(e.Message, e); }

        SafeTensorsModel st;
        try { st = SafeTensorsModel.Open(folder); }
        catch (Exception e) when (e is SafeTensorsFormatException or IOException or InvalidDataException)
        {
            throw new ModelLoadException($"{folder}: cannot open the weights: {e.Message}", e);
        }
        var owned = new List<IDisposable> { st };
        try
        {
            var present = new Dictionary<string, int[]>(StringComparer.Ordinal);
            foreach (var name in st.Names)
                present[name] = st.GetInfo(name).Shape.Select(d => checked((int)d)).ToArray();
            var check = WeightNames.Check(config, present);
            var problems = new List<string>();
            string FileOf(string tensor) => Path.GetFileName(st.GetFile(tensor).Path);
            if (check.Missing.Count > 0)
                problems.Add($"  missing ({check.Missing.Count}): {string.Join(", ", check.Missing)}");
            foreach (var u in check.Unexpected) problems.Add($"  unexpected: {u} (in {FileOf(u)})");
            foreach (var m in check.Misshaped)
            {
                string tensor = m[..m.IndexOf(':')];
                problems.Add($"  wrong shape: {m} (in {FileOf(tensor)})");
            }
            foreach (var (expected, stored) in check.Sources)
            {
                var dt = st.GetInfo(stored).ComputeDType;
                if (dt is null) problems.Add($"  unsupported dtype {st.GetInfo(stored).DType}: {stored} (in {FileOf(stored)}; need F32, BF16 or F16)");
            }
            if (problems.Count > 0)
                throw new ModelLoadException($"{folder}: checkpoint does not match {Path.GetFileName(config.Source)} ({config.ModelType}):{Environment.NewLine}{string.Join(Environment.NewLine, problems)}");

            var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (var (expected, stored) in check.Sources)
            {
                Tensor t;
                try { t = st.GetTensor(stored); }
                catch (Exception e) when (e is SafeTensorsFormatException or IOException or NotSupportedException)
                {
                    throw new ModelLoadException($"{folder}: tensor {stored} in {FileOf(stored)}: {e.Message}", e);
                }
                owned.Add(t);
                var target = t.Rank == 1 ? DType.F32 : options.DType switch
                {
                    ModelDType.Float32 => DType.F32,
                    ModelDType.BFloat16 => DType.BF16,
                    ModelDType.Float16 => DType.F16,
                    _ => t.DType,
                };
                if (target != t.DType)
                {
                    t = t.To(target);
                    owned.Add(t);
                }
                tensors[expected] = t;
            }
            return CausalLM.Build(config, tensors, owned, folder);
        }
        catch
        {
            foreach (var o in owned) o.Dispose();
            throw;
        }
    }
}
