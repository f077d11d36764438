// A static file server for the browser example: the page, the npm package at /pkg/, and
// config.json telling the page where to send its logs. No dependencies.
//
//   node examples/browser/serve.mjs [--port 8080] [--pkg DIR] --endpoint URL
//                                   [--project browser-example] [--logstore events]
//                                   [--errors-logstore errors] [--snippets DIR]
//
// --pkg defaults to $CARGO_TARGET_DIR/sls-producer-js/pkg (runtime-wasm/js/build.sh).
// --snippets serves extracted README snippets at /snippets/ (for test.mjs).
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript",
  ".wasm": "application/wasm", ".json": "application/json", ".ts": "text/plain" };

/** Serve the example; resolves to the listening `http.Server`. */
export async function serve({ port = 0, pkg, endpoint, project = "browser-example",
  logstore = "events", errorsLogstore = "errors", snippets }) {
  const config = JSON.stringify({ endpoint, project, logstore, errorsLogstore });
  const mounts = [
    ["/pkg/", pkg],
    ["/test-package/", path.join(root, "runtime-wasm/js/test-package")],
    ...(snippets ? [["/snippets/", snippets]] : []),
    ["/", here],
  ];
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, "http://x");
    if (url.pathname === "/config.json") {
      res.writeHead(200, { "content-type": "application/json" }).end(config);
      return;
    }
    const pathname = url.pathname === "/" ? "/index.html" : url.pathname;
    const [prefix, dir] = mounts.find(([p]) => pathname.startsWith(p));
    const file = path.resolve(dir, decodeURIComponent(pathname.slice(prefix.length)));
    if (!file.startsWith(path.resolve(dir) + path.sep)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream" });
      res.end(body);
    } catch {
      res.writeHead(404).end("not found");
    }
  });
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  return server;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, arg, i, all) =>
    arg.startsWith("--") ? [...pairs, [arg.slice(2).replace(/-(.)/g, (_, c) => c.toUpperCase()), all[i + 1]]] : pairs, []));
  if (!args.endpoint) {
    console.error("usage: serve.mjs --endpoint URL [--port 8080] [--pkg DIR] [--project P] [--logstore L] [--errors-logstore E]");
    process.exit(2);
  }
  const target = path.resolve(root, process.env.CARGO_TARGET_DIR ?? "target");
  const server = await serve({ ...args, port: Number(args.port ?? 8080),
    pkg: path.resolve(args.pkg ?? path.join(target, "sls-producer-js/pkg")) });
  console.log(`browser example at http://127.0.0.1:${server.address().port}/ (logs to ${args.endpoint})`);
}
