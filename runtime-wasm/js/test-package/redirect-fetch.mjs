// Run README snippets verbatim against the local SLS server: requests to SLS endpoints
// (`*.aliyuncs.com`) go to SLS_LOCAL_URL instead, with the host they were meant for in
// `x-forwarded-host` (from which the local server reads the project, as for any fetch
// client that cannot set `Host`). `/api/sls-sts`, the backend the STS snippet asks for
// credentials, answers with the local server's valid STS credentials.
//
// Used by readme-snippets.mjs (Node, through `--import`) and by the browser example's
// snippet page (examples/browser), before the snippet's module is loaded.
export function redirectFetch(slsLocalUrl) {
  const original = globalThis.fetch;
  const sls = new URL(slsLocalUrl);
  globalThis.fetch = async function fetch(input, init) {
    const base = globalThis.location?.href;
    const request = input instanceof Request ? input : new Request(new URL(String(input), base), init);
    const url = new URL(request.url);
    if (url.pathname === "/api/sls-sts") {
      return Response.json({
        AccessKeyId: "STS.new", AccessKeySecret: "newSecret", SecurityToken: "newToken",
        Expiration: "2100-01-01T00:00:00Z",
      });
    }
    if (!url.hostname.endsWith(".aliyuncs.com")) return original(input, init);
    const headers = new Headers(request.headers);
    headers.set("x-forwarded-host", url.host);
    const body = request.method === "GET" || request.method === "HEAD" ? undefined : await request.arrayBuffer();
    return original(new URL(url.pathname + url.search, sls), {
      method: request.method, headers, body, signal: request.signal, keepalive: request.keepalive,
    });
  };
}
