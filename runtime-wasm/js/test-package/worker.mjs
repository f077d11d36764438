// A Cloudflare Worker in plain JS using the npm package: one producer per request, closed
// in ctx.waitUntil so the log is delivered after the response.
import wasm from "./pkg/sls_producer_js_bg.wasm";
import { initSync, Producer } from "./pkg/sls_producer_js.js";

initSync({ module: wasm });

export default {
  async fetch(request, env, ctx) {
    const producer = new Producer({
      endpoint: env.SLS_ENDPOINT, project: env.SLS_PROJECT, logstore: env.SLS_LOGSTORE,
      accessKeyId: env.SLS_ACCESS_KEY_ID, accessKeySecret: env.SLS_ACCESS_KEY_SECRET,
      allowStaticAccessKey: true,
    });
    producer.send({ method: request.method, url: request.url, id: request.headers.get("x-request-id") ?? "" });
    const pending = producer.stats().acceptedLogs - producer.stats().deliveredLogs;
    ctx.waitUntil(producer.close(25_000).finally(() => producer.free()));
    return new Response("ok", { headers: { "x-sls-pending-logs": String(pending) } });
  },
};
