// The browser example in headless Chromium, against the local SLS server: the page's
// events (page view, clicks, an uncaught error, a rejected promise, page hide) must reach
// the server, and the ones buffered when the page is left (linger is 30 s) must be sent by
// the page-hide flush. Then every `js page` block of the package README runs in a page.
//
//   node examples/browser/test.mjs PKG_DIR SLS_LOCAL_URL [SNIPPETS_DIR]
//
// Needs chromium and chromedriver on PATH (CHROMEDRIVER overrides the driver), which
// runtime-wasm/ci.sh installs. Drives Chromium over WebDriver with fetch: no dependencies.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { serve } from "./serve.mjs";

const [pkg, sls, snippets] = process.argv.slice(2);
assert.ok(pkg && sls, "usage: test.mjs PKG_DIR SLS_LOCAL_URL [SNIPPETS_DIR]");
const project = "browser-example";
const logstore = `events-${Date.now()}`;
const errorsLogstore = `errors-${Date.now()}`;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function freePort() {
  const server = createServer();
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

/** Logs stored for `store`, as objects of their fields. */
async function stored(store) {
  const url = `${sls}/_sls_local/logs?project=${project}&logstore=${store}`;
  const { logGroups } = await (await fetch(url)).json();
  return logGroups.flatMap((g) => g.logs.map((l) => Object.fromEntries(l.contents)));
}

/** Poll `check` (50 ms steps, at most 15 s) until it returns something truthy. */
async function until(what, check) {
  for (let i = 0; i < 300; i++) {
    const value = await check();
    if (value) return value;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

// --- A WebDriver session on chromedriver. ---
const driverPort = await freePort();
const driver = spawn(process.env.CHROMEDRIVER ?? "chromedriver", [`--port=${driverPort}`],
  { stdio: ["ignore", "ignore", "inherit"] });
const wd = `http://127.0.0.1:${driverPort}`;
async function call(method, route, body) {
  const res = await fetch(`${wd}${route}`, { method, headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body) });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${route}: ${JSON.stringify(json.value)}`);
  return json.value;
}

const server = await serve({ pkg: path.resolve(pkg), endpoint: sls, project, logstore,
  errorsLogstore, snippets: snippets && path.resolve(snippets) });
const site = `http://127.0.0.1:${server.address().port}`;
let session;
try {
  await until("chromedriver", () => fetch(`${wd}/status`).then((r) => r.ok, () => false));
  ({ sessionId: session } = await call("POST", "/session", { capabilities: { alwaysMatch: {
    "goog:chromeOptions": { args: ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"] },
  } } }));
  const s = `/session/${session}`;
  const run = (script, args = []) => call("POST", `${s}/execute/sync`, { script, args });
  const click = async (css) => {
    const element = await call("POST", `${s}/element`, { using: "css selector", value: css });
    await call("POST", `${s}/element/${Object.values(element)[0]}/click`, {});
  };

  // The example page.
  await call("POST", `${s}/url`, { url: `${site}/` });
  await until("the page to start its producer", () => run("return globalThis.exampleReady === true"));
  await click("#buy");
  await click("#share");
  await click("#fail");
  await click("#reject");
  await until("the page to take 7 logs", () =>
    run("return document.getElementById('status').textContent.includes('\"acceptedLogs\": 7')"));
  // Leave the page: pagehide and visibilitychange. Nothing was due before (linger is 30 s).
  await call("POST", `${s}/url`, { url: "about:blank" });

  const events = await until("the page's events", async () => {
    const logs = await stored(logstore);
    return logs.some((l) => l.event === "pagehide") && logs;
  });
  const errors = await until("the page's errors", async () => {
    const logs = await stored(errorsLogstore);
    return logs.length >= 2 && logs;
  });
  assert.deepEqual(events.map((l) => l.event).sort(), ["click", "click", "click", "click", "pagehide", "pageview"]);
  assert.deepEqual(events.filter((l) => l.event === "click").map((l) => l.target).sort(), ["buy", "fail", "reject", "share"]);
  assert.equal(events.find((l) => l.event === "pagehide").clicks, "4");
  assert.ok(errors.some((l) => l.kind === "error" && /boom from the example page/.test(l.message)), JSON.stringify(errors));
  assert.ok(errors.some((l) => l.kind === "unhandledrejection" && /rejected in the example page/.test(l.message)));
  console.log(`browser example: ${events.length} events and ${errors.length} errors received, ` +
    "the last ones by the page-hide flush");

  // The README's page snippets, each in a page of its own.
  const pages = snippets ? readdirSync(snippets).filter((f) => /^page-\d+\.mjs$/.test(f)).sort() : [];
  for (const name of pages) {
    const total = async () => (await (await fetch(`${sls}/_sls_local/stats`)).json()).total.logs;
    const before = await total();
    const query = new URLSearchParams({ name, sls });
    await call("POST", `${s}/url`, { url: `${site}/snippet.html?${query}` });
    const done = await until(`README snippet ${name}`, () => run("return globalThis.snippetDone ?? null"));
    assert.equal(done, "ok", `README snippet ${name}`);
    // Delivered after the default linger (2 s), on the page: redirect-fetch.mjs reads
    // request bodies asynchronously, which a page being left may not finish.
    const delivered = await until(`logs of README snippet ${name}`, async () => (await total()) - before);
    await call("POST", `${s}/url`, { url: "about:blank" });
    console.log(`README snippet ${name}: ran in Chromium, ${delivered} log(s) delivered`);
  }
  if (snippets) assert.ok(pages.length > 0, `no page snippets in ${snippets}`);
} finally {
  if (session) await call("DELETE", `/session/${session}`).catch(() => {});
  driver.kill();
  server.close();
}
