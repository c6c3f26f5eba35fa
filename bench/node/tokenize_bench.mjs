// Encode-throughput baseline for the TuneSharp `tokenize` bench: transformers.js (@lenml/tokenizers), one thread.
// Usage: node tokenize_bench.mjs <tokenizer folder> <text file, one case per line>  → one JSON line on stdout.
import { TokenizerLoader } from "@lenml/tokenizers";
import fs from "node:fs";
import path from "node:path";

const [dir, textFile] = process.argv.slice(2);
const t0 = performance.now();
const tokenizerJSON = JSON.parse(fs.readFileSync(path.join(dir, "tokenizer.json"), "utf8"));
const cfgPath = path.join(dir, "tokenizer_config.json");
const tokenizerConfig = fs.existsSync(cfgPath) ? JSON.parse(fs.readFileSync(cfgPath, "utf8")) : {};
const tok = TokenizerLoader.fromPreTrained({ tokenizerJSON, tokenizerConfig });
const loadMs = performance.now() - t0;

const text = fs.readFileSync(textFile, "utf8");
const lines = text.split("\n");
const bytes = Buffer.byteLength(text, "utf8");
// Warm up on the first ~5% of lines (JIT), as the C# side does.
for (let i = 0; i < Math.min(lines.length, Math.ceil(lines.length / 20)); i++) tok.encode(lines[i], { add_special_tokens: false });
const t1 = performance.now();
const c1 = process.cpuUsage();
let tokens = 0;
for (const line of lines) tokens += tok.encode(line, { add_special_tokens: false }).length;
const sec = (performance.now() - t1) / 1000;
const cpu = process.cpuUsage(c1);
const cpuSec = (cpu.user + cpu.system) / 1e6;
// CPU seconds are reported too: on a shared machine wall time says more about the neighbours than about us.
console.log(JSON.stringify({ load_ms: loadMs, seconds: sec, mb_per_s: bytes / 1e6 / sec, cpu_seconds: cpuSec, cpu_mb_per_s: bytes / 1e6 / cpuSec, tokens }));
