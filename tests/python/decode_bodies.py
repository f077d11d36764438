#!/usr/bin/env python3
"""Decode PutLogs bodies built by this crate with the official Aliyun SLS Python SDK.

Reads one JSON object a line on stdin, {"name", "compression", "rawSize", "body" (base64)},
decompresses each body with the SDK's own `Compressor.decompress` (which checks the raw
size), parses it with the SDK's LogGroup protobuf, and prints one JSON object a line:
{"name", "topic", "source", "tags": [[k, v]], "logs": [{"time", "contents": [[k, v]]}]},
or {"name", "error"} when a body does not decode.

The Rust test `server_python.rs` runs this on bodies from the producer's compressor.
"""

import base64
import json
import sys

from aliyun.log.compress import CompressType, Compressor
from aliyun.log.log_logs_pb2 import LogGroup

TYPES = {"lz4": CompressType.LZ4, "zstd": CompressType.ZSTD}


def decode(item):
    body = base64.b64decode(item["body"])
    raw = Compressor.decompress(body, item["rawSize"], TYPES[item["compression"]])
    group = LogGroup()
    group.ParseFromString(raw)
    return {
        "name": item["name"],
        "topic": group.Topic,
        "source": group.Source,
        "tags": [[t.Key, t.Value] for t in group.LogTags],
        "logs": [
            {"time": log.Time, "contents": [[c.Key, c.Value] for c in log.Contents]}
            for log in group.Logs
        ],
    }


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        item = json.loads(line)
        try:
            out = decode(item)
        except Exception as ex:  # reported to the Rust side, which fails the test
            out = {"name": item["name"], "error": "%s: %s" % (type(ex).__name__, ex)}
        print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
