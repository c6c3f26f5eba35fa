// Resolves a run config's tokenizer.chat_template (a .jinja path relative to the config, or inline Jinja) or the tokenizer folder's template.
using TuneSharp.Tokenizers;

namespace TuneSharp.Training.Formatting;

public static class ChatTemplateSetting
{
    /// <summary>
    /// <paramref name="setting"/>: null → the template in <paramref name="tokenizerDir"/>; an existing file (absolute, or
    /// relative to the config file's folder, or to the working directory) → its text; anything else containing "{%" or
    /// "{{" → inline Jinja. Returns null when no template is found.
    /// </summary>
    public static ChatTemplate? Resolve(string? setting, string? configPath, string tokenizerDir, Tokenizer tokenizer)
    {
        if (string.IsNullOrWhiteSpace(setting)) return ChatTemplate.TryFromDirectory(tokenizerDir);
        var candidates = new List<string>();
        if (Path.IsPathRooted(setting)) candidates.Add(setting);
        else
        {
            if (configPath != null && File.Exists(configPath)) candidates.Add(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(configPath))!, setting));
            candidates.Add(Path.GetFullPath(setting));
        }
        foreach (var c in candidates)
            if (File.Exists(c)) return new ChatTemplate(File.ReadAllText(c), tokenizer.BosToken, tokenizer.EosToken, c);
        if (setting.Contains("{%", StringComparison.Ordinal) || setting.Contains("{{", StringComparison.Ordinal))
            return new ChatTemplate(setting, tokenizer.BosToken, tokenizer.EosToken, "tokenizer.chat_template");
        throw new FileNotFoundException(
            $"tokenizer.chat_template '{setting}': no such file (looked in {string.Join(", ", candidates)}) and not inline Jinja. Give a .jinja path relative to the config file, or the template text.");
    }
}
