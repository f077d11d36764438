// `workerd test`: the npm package in a JS Worker delivers each request's log after the response.
const PROJECT = "npm-worker";
const LOGSTORE = "requests";

async function stored(env, logstore = LOGSTORE) {
  const url = `${env.SLS_LOCAL_URL}/_sls_local/logs?project=${PROJECT}&logstore=${logstore}`;
  return (await (await fetch(url)).json()).logGroups.flatMap((g) =>
    g.logs.map((l) => ({ group: g, fields: Object.fromEntries(l.contents) })));
}

export default {
  async test(ctrl, env) {
    const before = (await stored(env)).length;
    for (let i = 0; i < 3; i++) {
      const r = await env.WORKER.fetch(`http://js-worker.test/${i}`, { headers: { "x-request-id": `js-${i}` } });
      if (r.status !== 200 || (await r.text()) !== "ok") throw new Error(`request ${i}: ${r.status}`);
      if (r.headers.get("x-sls-pending-logs") !== "1") throw new Error("the log was delivered before the response");
    }
    let logs = [];
    for (let t = 0; t < 300 && logs.length < 3; t++) {
      logs = (await stored(env)).slice(before);
      if (logs.length < 3) await new Promise((r) => setTimeout(r, 50));
    }
    const ids = logs.map((l) => l.fields.id).sort();
    if (JSON.stringify(ids) !== JSON.stringify(["js-0", "js-1", "js-2"])) throw new Error(`logs: ${JSON.stringify(logs)}`);
    if (!logs.every((l) => l.group.auth === "v1" && l.group.accessKeyId === "testAccessKeyId")) throw new Error("not signed");
    console.log("workerd: npm package in a JS Worker delivered 3 request logs after the responses");

    // The README's Worker snippet, verbatim.
    const r = await env.README_WORKER.fetch("http://readme-worker.test/hello");
    if (r.status !== 200 || (await r.text()) !== "ok") throw new Error(`README Worker: ${r.status}`);
    let readme = [];
    for (let t = 0; t < 300 && readme.length < 1; t++) {
      readme = await stored(env, "readme");
      if (readme.length < 1) await new Promise((r) => setTimeout(r, 50));
    }
    if (readme.length !== 1 || readme[0].fields.url !== "http://readme-worker.test/hello") {
      throw new Error(`README Worker logs: ${JSON.stringify(readme)}`);
    }
    console.log("workerd: the README's Worker snippet delivered its request log");
  },
};
