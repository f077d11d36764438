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

/** Where a send goes. Every field left out is the producer's option of the same name, so
 *  one producer can write to any number of logstores (and projects, topics, sources). */
export interface SendTarget {
  project?: string;
  logstore?: string;
  topic?: string;
  source?: string;
}

/** A send's destination with every field filled in. */
export interface ResolvedTarget {
  project: string;
  logstore: string;
  topic: string;
  source: string;
}

export interface ProducerOptions {
  /** `cn-hangzhou.log.aliyuncs.com` (https), or a URL such as `http://127.0.0.1:8080`. */
  endpoint: string;
  /** The default project of every send. */
  project: string;
  /** The default logstore. Without it, every send must name its `logstore`. */
  logstore?: string;
  /** The default topic and source (empty if left out). */
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
  /** Body compression: `"lz4"` (default for PutLogs) or `"none"` (default for web
   *  tracking, whose requests then carry no custom header and need no CORS preflight;
   *  `"lz4"` with web tracking sends the `x-log-*` headers, which costs one). */
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
  /** Called once for every `send`/`sendList` that failed for good, with its logs.
   *  (`sendTracked` reports through its promise instead.) */
  onError?: (failure: DeliveryFailure) => void;
}

/** Why a send failed for good. */
export type FailureReason =
  /** The server refused the logs with a status that is not retried (400, 404; 401 for
   *  web tracking): fix the data or the destination. */
  | "NotRetryable"
  /** A local failure no retry can heal (the request could not be signed). */
  | "Unrecoverable"
  /** Every allowed attempt failed; the last attempt says why. */
  | "RetriesExhausted"
  /** Not delivered within the delivery timeout. */
  | "DeliveryTimeout"
  /** `close(timeoutMs)` gave up before the logs were delivered. */
  | "Closed"
  /** The producer stopped before the logs had an outcome. */
  | "Abandoned";

/** One request that carried the logs. */
export interface Attempt {
  /** Whether the server stored the logs (HTTP 200). */
  ok: boolean;
  /** The HTTP status; absent when no response arrived (network error, timeout). */
  httpStatus?: number;
  /** The SLS error code (`"ServerBusy"`, …) or the network error kind (`"Timeout"`, …). */
  errorCode?: string;
  errorMessage?: string;
  /** The server's `x-log-requestid`. */
  requestId?: string;
  /** When the attempt finished, in milliseconds since the epoch. */
  at: number;
  /** How long it took, in milliseconds. */
  durationMs: number;
}

/** A log handed back after a failure: its fields as sent (text) and its time in Unix
 *  seconds, so that it can be passed to `send` again as it is. */
export interface HandedBackLog {
  __time__: number;
  [field: string]: string | number;
}

interface Outcome {
  /** Where the logs went. */
  target: ResolvedTarget;
  /** How many logs the send carried. */
  logCount: number;
  /** Attempts made in all (retries included). */
  attemptCount: number;
  /** The last attempts, oldest first (at most 11). */
  attempts: Attempt[];
}

/** A send the server stored. */
export interface Delivered extends Outcome {
  delivered: true;
}

/** A send that failed for good, with its logs handed back. */
export interface DeliveryFailure extends Outcome {
  delivered: false;
  reason: FailureReason;
  /** `reason` in words. */
  message: string;
  /** The send's logs, in the order they were sent (empty only for `"Abandoned"`). */
  logs: HandedBackLog[];
  /** The last attempt's HTTP status, SLS error code, message and request id, if any. */
  httpStatus?: number;
  errorCode?: string;
  errorMessage?: string;
  requestId?: string;
}

/** What a `sendTracked` promise resolves to: check `delivered`. */
export type DeliveryResult = Delivered | DeliveryFailure;

/** The `code` of an `SlsProducerError`. */
export type ErrorCode =
  | "InvalidOptions"
  | "StaticAccessKeyRefused"
  | "InvalidTarget"
  | "InvalidLog"
  | "Closed"
  | "BufferFull"
  | "TooLarge";

/** What the constructor and the sends throw. */
export interface SlsProducerError extends Error {
  name: "SlsProducerError";
  code: ErrorCode;
}

/** What `close()` resolves to: every log since the producer was created. Once closed,
 *  `acceptedLogs === deliveredLogs + failedLogs`. */
export interface CloseReport {
  /** Logs taken by a send (refused sends threw and are not counted). */
  acceptedLogs: number;
  deliveredLogs: number;
  failedLogs: number;
  /** Failed logs given back to JS (`sendTracked`'s promise, `onError`). The rest of
   *  `failedLogs` came from `send`s without `onError` and are gone. */
  handedBackLogs: number;
  /** Failed logs that `close(timeoutMs)` gave up (part of `failedLogs`). */
  closedLogs: number;
}

/** Counters since the producer was created. */
export interface ProducerStats {
  acceptedLogs: number;
  deliveredLogs: number;
  failedLogs: number;
  handedBackLogs: number;
  /** Logs accepted and without an outcome yet. */
  pendingLogs: number;
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

    /// `SendTarget`.
    #[wasm_bindgen(typescript_type = "SendTarget")]
    pub type SendTargetObject;
}
