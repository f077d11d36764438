// The JS README's code blocks, run verbatim. Every ```js and ```ts block carries where it
// runs in its info string, and an untagged one fails the check:
//
//   ```js node     run in Node (this script's `node` command)
//   ```js page     run in a headless Chromium page (examples/browser/test.mjs)
//   ```js worker   run as a Cloudflare Worker in workerd (runtime-wasm/ci.sh)
//   ```ts tsc      type-checked with tsc against the package (check-types.sh)
//
//   node readme-snippets.mjs extract README.md OUT_DIR
//       writes OUT_DIR/{node,page,worker}-N.mjs and tsc-N.mts (N counts per kind)
//   node readme-snippets.mjs node PKG_DIR SLS_LOCAL_URL OUT_DIR
//       runs each node-N.mjs with `import "sls-producer-js"` resolving to PKG_DIR and
//       SLS endpoints redirected to SLS_LOCAL_URL (redirect-fetch.mjs); each must exit 0
//       within 60 s and deliver at least one log to the local server.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const KINDS = { js: ["node", "page", "worker"], ts: ["tsc"] };

function extract(readme, out) {
  const text = readFileSync(readme, "utf8");
  const fence = /^```(\S*)[ \t]*(\S*)[^\n]*\n([\s\S]*?)^```[ \t]*$/gm;
  const counts = {};
  mkdirSync(out, { recursive: true });
  for (const [, lang, kind, code] of text.matchAll(fence)) {
    if (!(lang in KINDS)) continue;
    if (!KINDS[lang].includes(kind)) {
      const line = text.slice(0, text.indexOf(code)).split("\n").length - 1;
      throw new Error(`${readme}:${line}: a \`\`\`${lang} block must say where it runs: ${KINDS[lang].join(", ")}`);
    }
    counts[kind] = (counts[kind] ?? 0) + 1;
    writeFileSync(path.join(out, `${kind}-${counts[kind]}.${lang === "ts" ? "mts" : "mjs"}`), code);
  }
  console.log(`README snippets: ${JSON.stringify(counts)} in ${out}`);
}

async function totalLogs(sls) {
  const stats = await (await fetch(`${sls}/_sls_local/stats`)).json();
  return stats.total.logs;
}

async function runNode(pkg, sls, dir) {
  const work = path.join(dir, "node-run");
  rmSync(work, { recursive: true, force: true });
  mkdirSync(path.join(work, "node_modules"), { recursive: true });
  symlinkSync(path.resolve(pkg), path.join(work, "node_modules", "sls-producer-js"));
  const preload = path.join(work, "preload.mjs");
  writeFileSync(preload, `import { redirectFetch } from ${JSON.stringify(pathToFileURL(path.join(here, "redirect-fetch.mjs")).href)};\n` +
    `redirectFetch(${JSON.stringify(sls)});\n`);
  const snippets = readdirSync(dir).filter((f) => /^node-\d+\.mjs$/.test(f)).sort();
  if (snippets.length === 0) throw new Error(`no node snippets in ${dir}`);
  for (const name of snippets) {
    const file = path.join(work, name);
    writeFileSync(file, readFileSync(path.join(dir, name)));
    const before = await totalLogs(sls);
    const run = spawnSync(process.execPath, ["--import", pathToFileURL(preload).href, file], {
      cwd: work, encoding: "utf8", timeout: 60_000,
      env: { ...process.env, SLS_ACCESS_KEY_ID: "testAccessKeyId", SLS_ACCESS_KEY_SECRET: "testAccessKeySecret" },
    });
    process.stdout.write(run.stdout);
    if (run.status !== 0) {
      throw new Error(`README snippet ${name} failed (${run.error ?? `exit ${run.status}`}):\n${run.stderr}`);
    }
    const delivered = (await totalLogs(sls)) - before;
    if (delivered < 1) throw new Error(`README snippet ${name} delivered no log`);
    console.log(`README snippet ${name}: ran in Node, ${delivered} log(s) delivered`);
  }
}

const [command, ...args] = process.argv.slice(2);
if (command === "extract") extract(...args);
else if (command === "node") await runNode(...args);
else throw new Error("usage: readme-snippets.mjs extract README OUT | node PKG SLS_LOCAL_URL OUT");
