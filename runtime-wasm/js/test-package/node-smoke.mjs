// The built npm package, used from Node as a JS user would, against the local SLS server.
//
//   node runtime-wasm/js/test-package/node-smoke.mjs PKG_DIR SLS_LOCAL_URL
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [pkgDir, sls] = process.argv.slice(2);
assert.ok(pkgDir && sls, "usage: node-smoke.mjs PKG_DIR SLS_LOCAL_URL");
const pkg = JSON.parse(await readFile(path.join(pkgDir, "package.json"), "utf8"));
// The package carries its licence: the SPDX field, and both texts in the tarball's files.
assert.equal(pkg.license, "MIT OR Apache-2.0");
for (const licence of ["LICENSE-MIT", "LICENSE-APACHE"]) {
  assert.ok(pkg.files.includes(licence), `${licence} missing from package.json files`);
  assert.ok((await readFile(path.join(pkgDir, licence), "utf8")).length > 0, licence);
}
const { initSync, Producer } = await import(pathToFileURL(path.resolve(pkgDir, pkg.main)).href);
initSync({ module: await readFile(path.join(pkgDir, "sls_producer_js_bg.wasm")) });

const project = "npm-smoke";
const logstore = `node-${Date.now()}`;
const logs = async () => {
  const url = `${sls}/_sls_local/logs?project=${project}&logstore=${logstore}`;
  return (await (await fetch(url)).json()).logGroups;
};

// A static AccessKey is refused, with the reason.
assert.throws(
  () => new Producer({ endpoint: sls, project, logstore, accessKeyId: "id", accessKeySecret: "secret" }),
  (e) => e.name === "SlsProducerError" && e.code === "StaticAccessKeyRefused" && /webTracking/.test(e.message),
);
assert.throws(() => new Producer({ endpoint: sls, project }), { code: "InvalidOptions" });

const failures = [];
const producer = new Producer({
  endpoint: sls, project, logstore, webTracking: true, topic: "smoke",
  onError: (f) => failures.push(f),
});
producer.send({ hello: "npm", n: 1, nested: { a: [1, 2] } });
producer.sendList([{ i: "0" }, { i: "1" }]);
assert.throws(() => producer.send("not an object"), { code: "InvalidLog" });
await producer.flush();
let groups = await logs();
assert.equal(groups.length, 1);
assert.equal(groups[0].ingest, "track-post");
assert.equal(groups[0].topic, "smoke");
const first = Object.fromEntries(groups[0].logs[0].contents);
assert.deepEqual(first, { hello: "npm", n: "1", nested: '{"a":[1,2]}' });

// Signed with STS credentials from an async callback.
const sts = new Producer({
  endpoint: sls, project, logstore,
  credentials: async () => ({ accessKeyId: "STS.new", accessKeySecret: "newSecret", securityToken: "newToken",
    expiration: new Date(Date.now() + 3600_000) }),
});
sts.send({ signed: "yes" });
const stsReport = await sts.close();
assert.deepEqual(stsReport, { acceptedLogs: 1, deliveredLogs: 1, failedLogs: 0, handedBackLogs: 0, closedLogs: 0 });
groups = await logs();
assert.equal(groups.at(-1).accessKeyId, "STS.new");
assert.equal(groups.at(-1).auth, "v1");

// Another logstore and topic from the same producer, with a promise of the outcome.
const other = `${logstore}-other`;
const outcome = await producer.sendTracked({ tracked: "yes" }, { logstore: other, topic: "promised" });
assert.equal(outcome.delivered, true);
assert.equal(outcome.attemptCount, 1);
assert.equal(outcome.attempts[0].httpStatus, 200);
assert.deepEqual(outcome.target, { project, logstore: other, topic: "promised", source: "" });

const report = await producer.close();
assert.deepEqual(report, { acceptedLogs: 4, deliveredLogs: 4, failedLogs: 0, handedBackLogs: 0, closedLogs: 0 });
assert.equal(producer.isClosed, true);
assert.throws(() => producer.send({ late: "1" }), { code: "Closed" });
const stats = producer.stats();
assert.equal(stats.acceptedLogs, 4);
assert.equal(stats.deliveredLogs, 4);
assert.equal(stats.pendingLogs, 0);
assert.equal(failures.length, 0);
producer.free();
sts.free();
console.log(`node: npm package ${pkg.name}@${pkg.version} ok (web tracking, STS, targets, sendTracked, errors)`);
