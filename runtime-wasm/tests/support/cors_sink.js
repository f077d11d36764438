#!/usr/bin/env node
// A tiny HTTP sink for the FetchTransport tests (no dependencies, Node >= 18).
//
//   node runtime-wasm/tests/support/cors_sink.js [port]     (default 18571, or $SINK_PORT)
//
// Listens on 127.0.0.1 and prints "listening 127.0.0.1:<port>" once ready. Every answer
// carries CORS headers, so pages and workers served from another origin can call it:
// preflights get the requested headers echoed back (a bare "*" would not cover
// `authorization`), and `x-log-requestid` is exposed.
//
//   OPTIONS *                 204, CORS preflight answer
//   GET  /health              200 "ok"
//   POST /echo                200 JSON {method, url, headers, bodyLength, bodyHex}
//   POST /bytes               200, the request body echoed back
//   POST /status/<code>       <code>, SLS-style JSON error body
//   POST /big/<n>             200, an n-byte body
//   POST /hang/<id>           never answered (until 60 s); remembers whether the client aborted
//   GET  /hang-state/<id>     200 JSON {seen, aborted}
//   GET  /closed-port         200, a port number nothing listens on any more
'use strict';
const http = require('node:http');
const net = require('node:net');

const port = Number(process.argv[2] || process.env.SINK_PORT || 18571);
const hangs = new Map();
let requestCount = 0;

const cors = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'x-log-requestid, x-log-time, content-length',
};

function send(res, status, body, type) {
  res.writeHead(status, {
    ...cors,
    'content-type': type || 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-log-requestid': 'sink-' + ++requestCount,
  });
  res.end(body);
}

const server = http.createServer((req, res) => {
  if (req.method === 'OPTIONS') {
    res.writeHead(204, {
      ...cors,
      'access-control-allow-methods': 'GET, POST, OPTIONS',
      'access-control-allow-headers': req.headers['access-control-request-headers'] || '*',
      'access-control-max-age': '600',
    });
    return res.end();
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const [, route, arg] = req.url.split('?')[0].split('/');
    if (route === 'health') return send(res, 200, 'ok', 'text/plain');
    if (route === 'echo') {
      return send(res, 200, JSON.stringify({
        method: req.method, url: req.url, headers: req.headers,
        bodyLength: body.length, bodyHex: body.toString('hex'),
      }));
    }
    if (route === 'bytes') return send(res, 200, body, 'application/octet-stream');
    if (route === 'status') {
      return send(res, Number(arg), JSON.stringify({ errorCode: 'SinkError', errorMessage: 'status ' + arg }));
    }
    if (route === 'big') return send(res, 200, Buffer.alloc(Number(arg), 0x61), 'application/octet-stream');
    if (route === 'hang') {
      const state = { seen: true, aborted: false };
      hangs.set(arg, state);
      const timer = setTimeout(() => send(res, 504, '{}'), 60000);
      res.on('close', () => {
        clearTimeout(timer);
        if (!res.writableFinished) state.aborted = true;
      });
      return;
    }
    if (route === 'hang-state') return send(res, 200, JSON.stringify(hangs.get(arg) || { seen: false, aborted: false }));
    if (route === 'closed-port') {
      const probe = net.createServer();
      return probe.listen(0, '127.0.0.1', () => {
        const free = probe.address().port;
        probe.close(() => send(res, 200, String(free), 'text/plain'));
      });
    }
    send(res, 404, JSON.stringify({ errorCode: 'NotFound', errorMessage: req.url }));
  });
});

server.listen(port, '127.0.0.1', () => console.log('listening 127.0.0.1:' + server.address().port));
function stop() {
  server.close(() => process.exit(0));
  server.closeAllConnections(); // including hung requests
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
