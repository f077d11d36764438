// The example page's telemetry: clicks, errors and page hide, sent to SLS by web tracking.
import init, { Producer } from "sls-producer-js";

// Where to send: config.json (written by serve.mjs from its command line).
const config = await (await fetch("config.json")).json();
await init(); // fetches sls_producer_js_bg.wasm next to the package's module

// Registered before the producer exists, so it runs before the producer's own page-hide
// flush (listeners run in the order they were added): this last log goes with it.
let producer;
addEventListener("pagehide", (e) => {
  producer?.send({ event: "pagehide", persisted: e.persisted, clicks });
});

producer = new Producer({
  endpoint: config.endpoint,
  project: config.project,
  logstore: config.logstore,      // the default target: page events
  webTracking: true,              // anonymous: the logstores must have web tracking on
  topic: "browser-example",
  source: location.host,
  lingerMs: 30_000,               // batch for 30 s; page hide sends the rest at once
  onError: (failure) => console.warn("not delivered:", failure.reason, failure.logs),
});

const errors = { logstore: config.errorsLogstore }; // a second logstore, same producer
let clicks = 0;

producer.send({ event: "pageview", path: location.pathname, referrer: document.referrer });

document.addEventListener("click", (e) => {
  const button = e.target.closest("button");
  if (!button) return;
  clicks += 1;
  producer.send({ event: "click", target: button.id, text: button.textContent });
});

addEventListener("error", (e) => {
  producer.send({ kind: "error", message: e.message, file: e.filename, line: e.lineno,
    column: e.colno, stack: e.error?.stack ?? "" }, errors);
});
addEventListener("unhandledrejection", (e) => {
  producer.send({ kind: "unhandledrejection", message: String(e.reason?.message ?? e.reason),
    stack: e.reason?.stack ?? "" }, errors);
});

const status = document.getElementById("status");
setInterval(() => { status.textContent = JSON.stringify(producer.stats(), null, 2); }, 250);
// For the headless test (test.mjs): the page is wired up.
globalThis.exampleReady = true;
