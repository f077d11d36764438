//! The TypeScript types of the JS API, and the JS object types that carry them.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** A log: its fields. Strings are sent as they are, objects and arrays as JSON, other
 *  values as `String(value)`; `undefined`, functions and symbols are left out. A numeric
 *  `__time__` (Unix seconds) sets the log's time (PutLogs only; web tracking always uses
 *  the arrival time). */
export type LogFields = Record<string, unknown>;

/** Temporary (STS) credentials, as returned by `ProducerOptions.credentials`. The
 *  capitalised names of an STS `AssumeRole` answer (`AccessKeyId`, …) are accepted too. */
export interface StsCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
  /** When they stop working: a `Date`, milliseconds since the epoch, or a date string
   *  such as `"2026-11-25T02:40:30Z"`. They are refreshed before that. */
  expiration?: Date | number | string;
}

export interface ProducerOptions {
  /** `cn-hangzhou.log.aliyuncs.com` (https), or a URL such as `http://127.0.0.1:8080`. */
  endpoint: string;
  project: string;
  logstore: string;
  topic?: string;
  source?: string;
  /** Tags added to every log group. */
  tags?: Record<string, string>;

  // --- Credentials: exactly one of webTracking, credentials, accessKeyId. ---
  /** Anonymous web tracking (`POST /logstores/{logstore}/track`): no key in the page. The
   *  logstore must have web tracking enabled. */
  webTracking?: boolean;
  /** STS credentials from your backend; called at start, before they expire and when SLS
   *  rejects them. */
  credentials?: () => Promise<StsCredentials> | StsCredentials;
  /** A static AccessKey. Refused unless `allowStaticAccessKey` is true: anyone who can load
   *  the page can read it. Use it only where the code is not public (Node, a Worker's
   *  secrets). */
  accessKeyId?: string;
  accessKeySecret?: string;
  securityToken?: string;
  allowStaticAccessKey?: boolean;

  // --- Batching and delivery. ---
  /** How long a batch stays open after its first log. Default 2000. */
  lingerMs?: number;
  /** Logs per request. Default 4096. */
  maxBatchCount?: number;
  /** Uncompressed bytes per request. Default 32768, so that a batch fits the 64 KiB
   *  `fetch` keep-alive quota when the page is hidden. */
  maxBatchBytes?: number;
  /** Bytes of logs buffered before `send` refuses more. Default 4 MiB. */
  memoryBudgetBytes?: number;
  /** Requests in flight at once. Default 4. */
  maxInFlight?: number;
  /** Retries after the first attempt. Default 10. */
  maxRetries?: number;
  /** First retry delay, doubled each retry up to `maxRetryBackoffMs`. Default 100. */
  baseRetryBackoffMs?: number;
  /** Default 50000. */
  maxRetryBackoffMs?: number;
  /** Time allowed for one request. Default 60000. */
  requestTimeoutMs?: number;
  /** Body compression: `"lz4"` (default for PutLogs) or `"none"`. */
  compression?: "lz4" | "none";
  /** Signature version. Default `"v1"`; `"v4"` needs `region` (or an
   *  `{region}.log.aliyuncs.com` endpoint). */
  signatureVersion?: "v1" | "v4";
  region?: string;
  /** Add a `__pack_id__` tag to every log group. Default true. */
  generatePackId?: boolean;
  /** In pages: send what is buffered, with `fetch(…, {keepalive: true})`, when the page is
   *  hidden (`pagehide`, `visibilitychange`). Default true. */
  flushOnPageHide?: boolean;
  /** Called once for every send that failed for good. */
  onError?: (failure: DeliveryFailure) => void;
}

/** A send that failed for good. */
export interface DeliveryFailure {
  /** `"NotRetryable"`, `"RetriesExhausted"`, `"DeliveryTimeout"`, `"Closed"` or `"Abandoned"`. */
  reason: string;
  message: string;
  /** How many logs the send carried. */
  logCount: number;
  attempts: number;
  /** The last attempt's HTTP status, SLS error code, message and request id, if any. */
  httpStatus?: number;
  errorCode?: string;
  errorMessage?: string;
  requestId?: string;
}

/** What `close()` resolves to: logs since the producer was created. */
export interface CloseReport {
  deliveredLogs: number;
  failedLogs: number;
}

/** Counters since the producer was created. */
export interface ProducerStats {
  acceptedLogs: number;
  deliveredLogs: number;
  failedLogs: number;
  batches: number;
  requests: number;
  retries: number;
  bufferedBytes: number;
  /** Requests sent with `keepalive` because the page was hidden. */
  keepaliveRequests: number;
}
"#;

#[wasm_bindgen]
extern "C" {
    /// `ProducerOptions` (see the TypeScript definition).
    #[wasm_bindgen(typescript_type = "ProducerOptions")]
    pub type ProducerOptions;

    /// `LogFields`: one log.
    #[wasm_bindgen(typescript_type = "LogFields")]
    pub type LogObject;

    /// `CloseReport`.
    #[wasm_bindgen(typescript_type = "CloseReport")]
    pub type CloseReportObject;

    /// `ProducerStats`.
    #[wasm_bindgen(typescript_type = "ProducerStats")]
    pub type StatsObject;

    /// `DeliveryFailure`.
    #[wasm_bindgen(typescript_type = "DeliveryFailure")]
    pub type DeliveryFailureObject;
}
