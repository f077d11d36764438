// The tracking-only npm package (built without the `signed` feature), used from Node against
// the local SLS server: web tracking works as in the signed package, and every other way to
// authenticate is refused with InvalidOptions.
//
//   node runtime-wasm/js/test-package/node-tracking.mjs PKG_DIR SLS_LOCAL_URL
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [pkgDir, sls] = process.argv.slice(2);
assert.ok(pkgDir && sls, "usage: node-tracking.mjs PKG_DIR SLS_LOCAL_URL");
const pkg = JSON.parse(await readFile(path.join(pkgDir, "package.json"), "utf8"));
const { initSync, Producer } = await import(pathToFileURL(path.resolve(pkgDir, pkg.main)).href);
initSync({ module: await readFile(path.join(pkgDir, "sls_producer_js_bg.wasm")) });

const project = "npm-tracking";
const logstore = `node-${Date.now()}`;
const logs = async (store) => {
  const url = `${sls}/_sls_local/logs?project=${project}&logstore=${store}`;
  return (await (await fetch(url)).json()).logGroups;
};

// Only web tracking: no signing code is linked, so credentials of any kind are refused.
const base = { endpoint: sls, project, logstore };
for (const auth of [
  {},
  { webTracking: false },
  { accessKeyId: "id", accessKeySecret: "secret" },
  { accessKeyId: "id", accessKeySecret: "secret", allowStaticAccessKey: true },
  { credentials: async () => ({}) },
  { webTracking: true, credentials: async () => ({}) },
]) {
  assert.throws(
    () => new Producer({ ...base, ...auth }),
    (e) => e.name === "SlsProducerError" && e.code === "InvalidOptions" && /webTracking: true/.test(e.message),
    JSON.stringify(auth),
  );
}

// CORS-simple web tracking (no compression), and LZ4 with headers, both delivered.
const producer = new Producer({ ...base, webTracking: true, topic: "tracking", tags: { app: "smoke" } });
producer.send({ hello: "tracking", n: 1 });
const lz4 = new Producer({ ...base, logstore: `${logstore}-lz4`, webTracking: true, compression: "lz4" });
const outcome = await lz4.sendTracked({ compressed: "yes" }, { topic: "promised" });
assert.equal(outcome.delivered, true);
assert.equal(outcome.attempts[0].httpStatus, 200);
assert.deepEqual(outcome.target, { project, logstore: `${logstore}-lz4`, topic: "promised", source: "" });
await producer.flush();
const [plain] = await logs(logstore);
assert.equal(plain.ingest, "track-post");
assert.equal(plain.topic, "tracking");
assert.deepEqual(Object.fromEntries(plain.logs[0].contents), { hello: "tracking", n: "1" });
const [compressed] = await logs(`${logstore}-lz4`);
assert.deepEqual(Object.fromEntries(compressed.logs[0].contents), { compressed: "yes" });

// A send that cannot be delivered hands its logs back.
const down = new Producer({
  endpoint: "http://127.0.0.1:9", project, logstore, webTracking: true, maxRetries: 0,
});
const failed = await down.sendTracked([{ a: "1", o: { x: 1 } }, { b: "2" }]);
assert.equal(failed.delivered, false);
assert.equal(failed.logCount, 2);
assert.deepEqual(
  failed.logs.map(({ __time__, ...contents }) => (assert.equal(typeof __time__, "number"), contents)),
  [{ a: "1", o: '{"x":1}' }, { b: "2" }],
);
assert.equal(failed.attempts[0].ok, false);

for (const [p, accepted, delivered, failedLogs] of [[producer, 1, 1, 0], [lz4, 1, 1, 0], [down, 2, 0, 2]]) {
  const report = await p.close();
  assert.equal(report.acceptedLogs, accepted);
  assert.equal(report.deliveredLogs, delivered);
  assert.equal(report.failedLogs, failedLogs);
  p.free();
}
console.log(`node: tracking-only package ${pkg.name}@${pkg.version} ok (refusals, web tracking, lz4, hand-back)`);
