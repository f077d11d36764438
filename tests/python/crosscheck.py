#!/usr/bin/env python3
"""Cross-check the local SLS server against the official Aliyun SLS Python SDK.

The SDK builds, compresses and signs PutLogs requests with its own code; the server must
accept them and decode them intact, and must refuse requests whose body or signature was
altered with the error code SLS uses.

Usage (the Rust test `server_python.rs` runs this against a server it starts):

    crosscheck.py --endpoint http://127.0.0.1:PORT --project P --logstore LS \
        --access-key ID:SECRET --sts ID:SECRET:TOKEN

The server must know project P with logstore LS, the AccessKey and the STS credentials, and
check signatures (its default). Exit status 0 when every check passes; each check prints
one line.
"""

import argparse
import json
import sys
import urllib.request

from aliyun.log import LogClient, LogException, LogItem, PutLogsRequest

FAILURES = []


def check(name, condition, detail=""):
    print(("ok   " if condition else "FAIL ") + name + (("  -- " + detail) if detail and not condition else ""))
    if not condition:
        FAILURES.append(name)


def control(endpoint, method, path, doc=None):
    """Call the server's control API (/_sls_local/...)."""
    data = None if doc is None else json.dumps(doc).encode()
    req = urllib.request.Request(endpoint + path, data=data, method=method,
                                 headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read().decode())


def make_client(endpoint, ak_id, secret, token=None, auth_version="v1", region=""):
    kwargs = {"auth_version": auth_version, "region": region} if auth_version == "v4" else {}
    c = LogClient(endpoint, ak_id, secret, securityToken=token, **kwargs)
    # Connect to 127.0.0.1:PORT itself; the SDK still sends Host: {project}.127.0.0.1.
    c._isRowIp = True
    return c


def sample_items(tag):
    return [
        LogItem(timestamp=1700000000 + i, time_nano_part=1000 + i,
                contents=[("msg", "%s log %d" % (tag, i)), ("unicode", u"caf\u00e9 \u4f60\u597d"),
                          ("empty", "")])
        for i in range(3)
    ]


def last_group(endpoint, project, logstore):
    groups = control(endpoint, "GET", "/_sls_local/logs?project=%s&logstore=%s" % (project, logstore))["logGroups"]
    return groups[-1] if groups else None


def expect_intact(name, endpoint, project, logstore, items, topic, source, tags, compression, auth, key=None):
    g = last_group(endpoint, project, logstore)
    if g is None:
        check(name + ": stored", False, "nothing stored")
        return
    want_logs = [
        {"time": it.get_time(), "timeNs": it.get_time_nano_part(),
         "contents": [[k, v] for k, v in it.get_contents()]}
        for it in items
    ]
    check(name + ": logs decoded intact", g["logs"] == want_logs, "got %r want %r" % (g["logs"], want_logs))
    check(name + ": topic and source", (g["topic"], g["source"]) == (topic, source),
          "got %r" % ((g["topic"], g["source"]),))
    check(name + ": tags", g["tags"] == [[k, v] for k, v in tags], "got %r" % (g["tags"],))
    check(name + ": compression " + compression, g["compression"] == compression, "got %r" % g["compression"])
    check(name + ": auth " + auth, g["auth"] == auth, "got %r" % g["auth"])
    if key is not None:
        check(name + ": shard key", g["shard"] == {"key": key}, "got %r" % (g["shard"],))
    else:
        check(name + ": shards/lb", g["shard"] == "lb", "got %r" % (g["shard"],))


def put(client, project, logstore, tag, **kw):
    items = sample_items(tag)
    tags = [("__pack_id__", "ABCDEF0123456789-%d" % len(tag)), ("origin", "python")]
    req = PutLogsRequest(project, logstore, "topic-" + tag, "src-" + tag, items, logtags=tags, **kw)
    resp = client.put_logs(req)
    return items, tags, resp


def expect_refused(name, fn, status, code):
    try:
        fn()
    except LogException as ex:
        got = (ex.resp_status, ex.get_error_code())
        check(name + ": refused %d %s" % (status, code), got == (status, code),
              "got %r: %s" % (got, ex.get_error_message()))
        check(name + ": request id", bool(ex.get_request_id()), "no x-log-requestid")
        return
    check(name + ": refused %d %s" % (status, code), False, "accepted")


def tampering(client, alter):
    """Make `client` alter each request after the SDK has signed it."""
    original = client._getHttpResponse

    def send(method, url, params, body, headers):
        body, headers = alter(body, dict(headers))
        return original(method, url, params, body, headers)

    client._getHttpResponse = send
    return client


def flip_last_byte(body, headers):
    return body[:-1] + bytes([body[-1] ^ 0x01]), headers


def flip_signature(body, headers):
    auth = headers["Authorization"]
    head, sig = auth[:-4], auth[-4:]
    headers["Authorization"] = head + ("AAAA" if sig != "AAAA" else "BBBB")
    return body, headers


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--project", required=True)
    ap.add_argument("--logstore", required=True)
    ap.add_argument("--access-key", required=True)
    ap.add_argument("--sts", required=True)
    a = ap.parse_args()
    ak_id, secret = a.access_key.split(":", 1)
    sts_id, sts_secret, sts_token = a.sts.split(":", 2)
    ep, p, ls = a.endpoint, a.project, a.logstore

    v1 = make_client(ep, ak_id, secret)
    items, tags, resp = put(v1, p, ls, "lz4")
    check("lz4 (default): accepted with a request id", bool(resp.get_request_id()))
    expect_intact("lz4", ep, p, ls, items, "topic-lz4", "src-lz4", tags, "lz4", "v1")

    items, tags, _ = put(v1, p, ls, "none", compress=False)
    expect_intact("uncompressed", ep, p, ls, items, "topic-none", "src-none", tags, "none", "v1")

    items, tags, _ = put(v1, p, ls, "zstd", compress_type="zstd")
    expect_intact("zstd", ep, p, ls, items, "topic-zstd", "src-zstd", tags, "zstd", "v1")

    key = "f4000000000000000000000000000000"
    items, tags, _ = put(v1, p, ls, "route", hashKey=key)
    expect_intact("hash key route", ep, p, ls, items, "topic-route", "src-route", tags, "lz4", "v1", key=key)

    v4 = make_client(ep, ak_id, secret, auth_version="v4", region="cn-test")
    items, tags, _ = put(v4, p, ls, "v4", compress_type="zstd")
    expect_intact("signature v4", ep, p, ls, items, "topic-v4", "src-v4", tags, "zstd", "v4")

    sts = make_client(ep, sts_id, sts_secret, token=sts_token)
    items, tags, _ = put(sts, p, ls, "sts")
    expect_intact("STS token", ep, p, ls, items, "topic-sts", "src-sts", tags, "lz4", "v1")

    before = control(ep, "GET", "/_sls_local/stats")["accepted"]
    expect_refused("altered body (v1)", lambda: put(tampering(make_client(ep, ak_id, secret), flip_last_byte), p, ls, "x"),
                   400, "InvalidContentMD5")
    expect_refused("altered signature (v1)",
                   lambda: put(tampering(make_client(ep, ak_id, secret), flip_signature), p, ls, "x"),
                   401, "SignatureNotMatch")
    expect_refused("wrong secret (v1)", lambda: put(make_client(ep, ak_id, "wrong-secret"), p, ls, "x"),
                   401, "SignatureNotMatch")
    expect_refused("altered body (v4)",
                   lambda: put(tampering(make_client(ep, ak_id, secret, auth_version="v4", region="cn-test"),
                                         flip_last_byte), p, ls, "x"),
                   401, "SignatureNotMatch")
    expect_refused("altered signature (v4)",
                   lambda: put(tampering(make_client(ep, ak_id, secret, auth_version="v4", region="cn-test"),
                                         flip_signature), p, ls, "x"),
                   401, "SignatureNotMatch")
    expect_refused("unknown AccessKey", lambda: put(make_client(ep, "nobody", "x"), p, ls, "x"),
                   401, "Unauthorized")
    expect_refused("unknown logstore", lambda: put(v1, p, "no-such-logstore", "x"), 404, "LogStoreNotExist")
    expect_refused("unknown project", lambda: put(v1, "no-such-project", ls, "x"), 404, "ProjectNotExist")
    control(ep, "POST", "/_sls_local/faults", {"sts_tokens_expired": True})
    expect_refused("expired STS token", lambda: put(sts, p, ls, "x"), 401, "SecurityTokenExpired")
    control(ep, "POST", "/_sls_local/faults", {"sts_tokens_expired": False})
    after = control(ep, "GET", "/_sls_local/stats")["accepted"]
    check("nothing refused was stored", after == before, "%d stored" % (after - before))

    if FAILURES:
        print("%d check(s) failed: %s" % (len(FAILURES), ", ".join(FAILURES)))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
