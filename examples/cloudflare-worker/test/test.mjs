// `workerd test`: call the example Worker (service binding WORKER) and prove that the log of
// each request reaches the local SLS server (SLS_LOCAL_URL) after the response.
import assert from "node:assert";

const PROJECT = "worker-example";
const LOGSTORE = "requests";

async function storedLogs(env) {
  const url = `${env.SLS_LOCAL_URL}/_sls_local/logs?project=${PROJECT}&logstore=${LOGSTORE}`;
  const doc = await (await fetch(url)).json();
  return doc.logGroups.flatMap((group) =>
    group.logs.map((log) => ({ group, fields: Object.fromEntries(log.contents) })));
}

async function waitForLogs(env, n) {
  let logs = [];
  for (let i = 0; i < 300; i++) {
    logs = await storedLogs(env);
    if (logs.length >= n) return logs;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return logs;
}

export default {
  async test(ctrl, env, ctx) {
    const before = (await storedLogs(env)).length;
    const paths = ["/", "/a?x=1", "/b"];
    for (const [i, path] of paths.entries()) {
      const response = await env.WORKER.fetch(`http://worker.test${path}`, {
        headers: { "x-request-id": `req-${i}`, "user-agent": "workerd-test" },
      });
      assert.strictEqual(response.status, 200);
      assert.strictEqual(await response.text(), "hello from a Rust Worker\n");
      // The log was still on its way when the response was returned: it is delivered in
      // ctx.waitUntil, after the response.
      assert.strictEqual(response.headers.get("x-sls-pending-logs"), "1");
    }
    // No body: the Worker does not read bodies, and workerd's test runner would wait for an
    // unread request body forever.
    const rejected = await env.WORKER.fetch("http://worker.test/form", { method: "POST" });
    assert.strictEqual(rejected.status, 405);

    const logs = (await waitForLogs(env, before + 4)).slice(before);
    assert.strictEqual(logs.length, 4, `expected 4 new logs, got ${JSON.stringify(logs)}`);
    const byId = new Map(logs.map((l) => [l.fields["x-request-id"], l]));
    for (const [i, path] of paths.entries()) {
      const log = byId.get(`req-${i}`);
      assert.ok(log, `no log for request ${i}`);
      assert.strictEqual(log.fields.method, "GET");
      assert.strictEqual(log.fields.url, `http://worker.test${path}`);
      assert.strictEqual(log.fields.status, "200");
      assert.strictEqual(log.fields["user-agent"], "workerd-test");
      assert.strictEqual(log.group.topic, "requests");
      assert.strictEqual(log.group.auth, "v1");
      assert.strictEqual(log.group.accessKeyId, "testAccessKeyId");
      assert.strictEqual(log.group.ingest, "putlogs");
    }
    const post = logs.find((l) => l.fields.method === "POST");
    assert.strictEqual(post.fields.status, "405");
    // One request, one producer, one batch: each log group holds one request's log.
    assert.strictEqual(new Set(logs.map((l) => l.group.requestId)).size, 4);
    console.log(`workerd: ${logs.length} request logs delivered after their responses`);
  },
};
