//! The signing vectors of the official SDKs, as data. The client's signing tests check
//! that it produces them; the local server's verification tests
//! (`tests/src/server/auth/tests.rs`, which include this file by path) check that it
//! accepts them. One copy, so the signer and the verifier cannot be tested against
//! different vectors.

/// aliyun-log-go-sdk `signature_test.go` (spec §6.3) and `signer_test.go`
/// `TestSignV1Case2`: v1, a GET without a body and one with a protobuf body.
pub(crate) mod go_v1 {
    pub(crate) const ACCESS_KEY_ID: &str = "mockAccessKeyID";
    pub(crate) const ACCESS_KEY_SECRET: &str = "mockAccessKeySecret";
    /// The headers of the request without a body (a one-digit day in its date).
    pub(crate) const HEADERS: [(&str, &str); 4] = [
        ("x-log-apiversion", "0.6.0"),
        ("x-log-signaturemethod", "hmac-sha1"),
        ("x-log-bodyrawsize", "0"),
        ("Date", "Mon, 3 Jan 2010 08:33:47 GMT"),
    ];
    /// `GET /logstores` with [`HEADERS`].
    pub(crate) const STRING_TO_SIGN: &str = "GET\n\n\nMon, 3 Jan 2010 08:33:47 GMT\n\
        x-log-apiversion:0.6.0\nx-log-bodyrawsize:0\nx-log-signaturemethod:hmac-sha1\n\
        /logstores";
    pub(crate) const SIGNATURE: &str = "Rwm6cTKzoti4HWoe+GKcb6Kv07E=";
    /// The protobuf body of `TestSignV1Case2`.
    pub(crate) const BODY: [u8; 52] = [
        10, 50, 10, 30, 8, 248, 178, 147, 158, 5, 18, 22, 10, 7, 84, 101, 115, 116, 75, 101, 121,
        18, 11, 84, 101, 115, 116, 67, 111, 110, 116, 101, 110, 116, 26, 0, 34, 14, 49, 48, 46, 50,
        51, 48, 46, 50, 48, 49, 46, 49, 49, 55,
    ];
    /// Its headers but `Content-MD5`, which each side computes with its own digest.
    pub(crate) const BODY_HEADERS: [(&str, &str); 6] = [
        ("x-log-apiversion", "0.6.0"),
        ("x-log-signaturemethod", "hmac-sha1"),
        ("x-log-bodyrawsize", "50"),
        ("Content-Type", "application/x-protobuf"),
        ("Content-Length", "50"),
        ("Date", "Mon, 3 Jan 2010 08:33:47 GMT"),
    ];
    /// `GET /logstores/app_log` with [`BODY_HEADERS`] and the body's `Content-MD5`.
    pub(crate) const BODY_PATH: &str = "/logstores/app_log";
    pub(crate) const BODY_SIGNATURE: &str = "87xQWqFaOSewqRIma8kPjGYlXHc=";
}

/// A PutLogs request captured from aliyun-log-python-sdk 0.9.52 (infra recipes §5): v1,
/// LZ4, and an `x-log-date` the SDK adds after signing.
pub(crate) mod python {
    pub(crate) const ACCESS_KEY_ID: &str = "testAccessKeyId";
    pub(crate) const ACCESS_KEY_SECRET: &str = "testAccessKeySecret";
    pub(crate) const PATH: &str = "/logstores/mylogstore/shards/lb";
    /// Wed, 25 Nov 2026 01:40:30 GMT.
    pub(crate) const UNIX_TIME: u64 = 1_795_570_830;
    pub(crate) const STRING_TO_SIGN: &str = "POST\n0B240C715D1F19353A225EDB510CDB3B\n\
        application/x-protobuf\nWed, 25 Nov 2026 01:40:30 GMT\nx-log-apiversion:0.6.0\n\
        x-log-bodyrawsize:151\nx-log-compresstype:lz4\nx-log-signaturemethod:hmac-sha1\n\
        /logstores/mylogstore/shards/lb";
    pub(crate) const SIGNATURE: &str = "b4jgkxeWHT817HMdN88dbXtTuQs=";
    pub(crate) const HEADERS: [(&str, &str); 15] = [
        (
            "User-Agent",
            "log-python-sdk-v-0.9.52, sys.version_info(major=3, minor=11, micro=7, releaselevel='final', serial=0), linux",
        ),
        ("Accept-Encoding", "gzip, deflate"),
        ("Accept", "*/*"),
        ("Connection", "keep-alive"),
        ("x-log-bodyrawsize", "151"),
        ("Content-Type", "application/x-protobuf"),
        ("x-log-compresstype", "lz4"),
        ("Content-Length", "86"),
        ("x-log-apiversion", "0.6.0"),
        ("Host", "myproject.127.0.0.1"),
        ("x-log-signaturemethod", "hmac-sha1"),
        ("Date", "Wed, 25 Nov 2026 01:40:30 GMT"),
        ("Content-MD5", "0B240C715D1F19353A225EDB510CDB3B"),
        (
            "Authorization",
            "LOG testAccessKeyId:b4jgkxeWHT817HMdN88dbXtTuQs=",
        ),
        ("x-log-date", "Wed, 25 Nov 2026 01:40:30 GMT"),
    ];
}

/// aliyun-log-go-sdk `signer_test.go`, the v4 suite.
pub(crate) mod go_v4 {
    pub(crate) const ACCESS_KEY_ID: &str = "acsddda21dsd";
    pub(crate) const ACCESS_KEY_SECRET: &str = "zxasdasdasw2";
    pub(crate) const DATE_TIME: &str = "20220808T032330Z";
    /// 2022-08-08T03:23:30Z.
    pub(crate) const UNIX_TIME: u64 = 1_659_929_010;
    /// The headers every case shares, among them unsigned ones with odd names; each case
    /// adds `x-log-content-sha256` (its body's hash) and `Content-Length: 16`.
    pub(crate) const HEADERS: [(&str, &str); 7] = [
        ("hello", "world"),
        ("hello-Text", "a12X- "),
        (" Ko ", ""),
        ("", "AA"),
        ("x-log-test", "het123"),
        ("x-acs-ppp", "dds"),
        ("x-log-date", "20220808T032330Z"),
    ];
    /// The query parameters of every case (Go encodes them with `url.Values.Encode`).
    pub(crate) const PARAMS: [(&str, &str); 4] =
        [(" abc", "efg"), (" agc ", ""), ("", "efg"), ("A-bc", "eFg")];
    /// The parameters the last case adds.
    pub(crate) const MORE_PARAMS: [(&str, &str); 2] = [
        ("abs-ij*asd/vc", "a~js+d ada"),
        ("a abAas123/vc", "a~jdad a2ADFs+d ada"),
    ];
    pub(crate) const BODY: &[u8] = b"adasd= -asd zcas";
    pub(crate) const REGION: &str = "cn-hangzhou";

    /// One case: method, path (its query is the parameters, with [`MORE_PARAMS`] if
    /// `more`), whether the body is [`BODY`] (else empty), and the signature.
    pub(crate) struct Case {
        pub(crate) method: &'static str,
        pub(crate) path: &'static str,
        pub(crate) more: bool,
        pub(crate) body: bool,
        pub(crate) signature: &'static str,
    }

    pub(crate) const CASES: [Case; 4] = [
        Case {
            method: "POST",
            path: "/logstores",
            more: false,
            body: true,
            signature: "348d28cb4aa259a5302105b52d7d0ecde7ab415b3c0eb3a452f2a2fd38468991",
        },
        Case {
            method: "POST",
            path: "/logstores",
            more: false,
            body: false,
            signature: "17277e433834a91c193f2dd6f237fc9b33c653f13f4c87e9e73a5f7fcabc6631",
        },
        Case {
            method: "GET",
            path: "/logstores",
            more: false,
            body: false,
            signature: "ef98c6596c88b80d12366ec42f4fab6d82037d961d84f2e8c52ab10908406470",
        },
        Case {
            method: "POST",
            path: "/logstores/hello/a+*~bb/cc",
            more: true,
            body: true,
            signature: "d79c9358725537e03e3e0ff6d375853f36e2a7f853a2960053a498eefbbb42f5",
        },
    ];

    /// Spec §6.4 (`TestSignV4Case2`): `POST /logstores` with [`BODY`] and only the
    /// headers the signer adds, in another region.
    pub(crate) const CASE_2_REGION: &str = "cn-shanghai";
    pub(crate) const CASE_2_SIGNATURE: &str =
        "8a10a5e723cb2e75964816de660b2c16a58af8bc0261f7f0722d832468c76ce8";
}

/// A PutLogs request as the producer builds it before signing, for tests that sign a
/// request and check (or tamper with) the result.
pub(crate) mod put_logs {
    pub(crate) const PATH: &str = "/logstores/mylogstore/shards/lb";
    pub(crate) const HEADERS: [(&str, &str); 6] = [
        ("host", "myproject.127.0.0.1"),
        ("content-type", "application/x-protobuf"),
        ("user-agent", "test"),
        ("x-log-apiversion", "0.6.0"),
        ("x-log-bodyrawsize", "151"),
        ("x-log-compresstype", "lz4"),
    ];
}
