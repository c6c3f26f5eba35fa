// Renders the chat-template and snippet fixtures with @huggingface/jinja (the renderer transformers.js uses).
// Usage: npm install && node gen_chat_templates.mjs   (shared assets from $TUNESHARP_SHARED or ../shared beside the repo)
import { readFileSync, writeFileSync, renameSync, existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Template, Environment } from "@huggingface/jinja";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../../..");
const shared = process.env.TUNESHARP_SHARED ?? resolve(repo, "../shared");
const pkg = JSON.parse(readFileSync(join(here, "node_modules/@huggingface/jinja/package.json"), "utf8"));

// Tag errors thrown by raise_exception so fixtures can tell them from other failures; behaviour is otherwise unchanged.
const originalSet = Environment.prototype.set;
Environment.prototype.set = function (name, value) {
  if (name === "raise_exception") {
    value = (message) => {
      const e = new Error(message);
      e.raisedByTemplate = true;
      throw e;
    };
  }
  return originalSet.call(this, name, value);
};

function token(v) {
  if (v == null) return null;
  return typeof v === "string" ? v : v.content ?? null;
}

function render(source, vars) {
  let template;
  try {
    template = new Template(source);
  } catch (e) {
    return { error: { kind: "syntax", message: String(e.message) } };
  }
  try {
    return { output: template.render(vars) };
  } catch (e) {
    return { error: { kind: e.raisedByTemplate ? "raise_exception" : "runtime", message: String(e.message) } };
  }
}

function writeJson(path, value) {
  const tmp = path + ".tmp";
  writeFileSync(tmp, JSON.stringify(value, null, 1) + "\n");
  renameSync(tmp, path);
}

// ---- chat templates × conversations ----
const templates = [
  { name: "gemma-2-2b-it", path: "shared:assets/chat-templates/google-gemma-2-2b-it.jinja", bos_token: "<bos>", eos_token: "<eos>" },
  { name: "llama-3.2-3b-instruct", path: "shared:assets/chat-templates/meta-llama-Llama-3.2-3B-Instruct.jinja", bos_token: "<|begin_of_text|>", eos_token: "<|eot_id|>" },
  { name: "qwen2.5-7b-instruct", path: "shared:assets/chat-templates/Qwen-Qwen2.5-7B-Instruct.jinja", bos_token: null, eos_token: "<|im_end|>" },
  { name: "phi-3.5-mini-instruct", path: "shared:assets/chat-templates/microsoft-Phi-3.5-mini-instruct.jinja", bos_token: "<s>", eos_token: "<|endoftext|>" },
  { name: "chatml-generation", path: "repo:tests/golden/chat_templates/templates/chatml-generation.jinja", bos_token: null, eos_token: "<|im_end|>" },
];
for (const dir of ["gemma3", "llama3", "qwen3", "smollm2", "tinystories-656k", "all-minilm-l6-v2"]) {
  const cfgPath = join(shared, "assets/tokenizers", dir, "tokenizer_config.json");
  if (!existsSync(cfgPath)) continue;
  const cfg = JSON.parse(readFileSync(cfgPath, "utf8"));
  if (!cfg.chat_template) continue;
  templates.push({ name: dir, path: `shared:assets/tokenizers/${dir}/tokenizer_config.json`, bos_token: token(cfg.bos_token), eos_token: token(cfg.eos_token) });
}

function templateSource(t) {
  const [root, rel] = t.path.split(":");
  const full = join(root === "shared" ? shared : repo, rel);
  if (full.endsWith(".json")) {
    const ct = JSON.parse(readFileSync(full, "utf8")).chat_template;
    return typeof ct === "string" ? ct : ct.find((x) => x.name === "default").template;
  }
  return readFileSync(full, "utf8");
}

const conversations = JSON.parse(readFileSync(join(here, "conversations.json"), "utf8"));
const cases = [];
for (const t of templates) {
  const source = templateSource(t);
  for (const conv of conversations) {
    for (const addGenerationPrompt of [false, true]) {
      const vars = { messages: conv.messages, add_generation_prompt: addGenerationPrompt, date_string: "26 Jul 2024" };
      if (t.bos_token != null) vars.bos_token = t.bos_token;
      if (t.eos_token != null) vars.eos_token = t.eos_token;
      if (conv.tools) vars.tools = conv.tools;
      if (conv.enable_thinking !== undefined) vars.enable_thinking = conv.enable_thinking;
      cases.push({ template: t.name, conversation: conv.id, add_generation_prompt: addGenerationPrompt, ...render(source, structuredClone(vars)) });
    }
  }
}
writeJson(join(here, "chat_template_fixtures.json"), {
  generator: `${pkg.name} ${pkg.version}`,
  fixed_variables: { date_string: "26 Jul 2024" },
  templates,
  cases,
});

// ---- interpreter snippets ----
const snippets = JSON.parse(readFileSync(join(here, "snippets.json"), "utf8"));
const snippetFixtures = snippets.map((s) => ({ ...s, ...render(s.template, structuredClone(s.vars ?? {})) }));
writeJson(join(here, "snippet_fixtures.json"), { generator: `${pkg.name} ${pkg.version}`, snippets: snippetFixtures });

const errors = cases.filter((c) => c.error).length;
console.log(`${templates.length} templates, ${conversations.length} conversations, ${cases.length} cases (${errors} expected errors), ${snippetFixtures.length} snippets`);
