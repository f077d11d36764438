// The package's TypeScript types as a user meets them: `tsc --noEmit --strict` on this file
// (runtime-wasm/js/test-package/check-types.sh) must pass. Lines marked
// `@ts-expect-error` must fail to type-check: they are what the types exist to catch.
import {
  initSync,
  Producer,
  type Attempt,
  type CloseReport,
  type DeliveryFailure,
  type DeliveryResult,
  type ErrorCode,
  type FailureReason,
  type HandedBackLog,
  type ProducerOptions,
  type ProducerStats,
  type SendTarget,
  type SlsProducerError,
} from "sls-producer-js";

declare const wasm: WebAssembly.Module;
initSync({ module: wasm });

const failures: DeliveryFailure[] = [];
const options: ProducerOptions = {
  endpoint: "cn-hangzhou.log.aliyuncs.com",
  project: "my-project",
  // No `logstore`: every send names one.
  webTracking: true,
  topic: "web",
  onError: (failure) => failures.push(failure),
};
const producer = new Producer(options);

// Any number of logstores, topics and sources per producer.
const errors: SendTarget = { logstore: "errors", topic: "js", source: "page" };
producer.send({ event: "click", x: 1, nested: { a: [1, 2] } }, { logstore: "clicks" });
producer.sendList([{ message: "a" }, { message: "b" }], errors);
// @ts-expect-error a log is an object of fields, not a string
producer.send("text");
// @ts-expect-error targets name only project, logstore, topic and source
producer.send({ a: 1 }, { shard: "0" });

// A promise per send, with the attempts; failures hand the logs back.
const result: DeliveryResult = await producer.sendTracked({ event: "buy" }, errors);
const attempts: Attempt[] = result.attempts;
const last: number | undefined = attempts.at(-1)?.httpStatus;
const where: string = result.target.logstore + result.target.topic;
const count: number = result.logCount + result.attemptCount + (last ?? 0) + where.length;
if (result.delivered) {
  // @ts-expect-error only failures carry a reason
  void result.reason;
} else {
  const reason: FailureReason = result.reason;
  const back: HandedBackLog[] = result.logs;
  const time: number = back[0].__time__;
  producer.sendList(back, result.target); // handed-back logs can be sent again
  void [reason, time];
}
await producer.sendTracked([{ a: "1" }, { a: "2" }]);

// Literal unions, not strings.
const reasons: FailureReason[] = ["NotRetryable", "Unrecoverable", "RetriesExhausted",
  "DeliveryTimeout", "Closed", "Abandoned"];
// @ts-expect-error not a failure reason
const notAReason: FailureReason = "Timeout";
const codes: ErrorCode[] = ["InvalidOptions", "StaticAccessKeyRefused", "InvalidTarget",
  "InvalidLog", "Closed", "BufferFull", "TooLarge"];
try {
  producer.send({ too: "late" });
} catch (e) {
  const error = e as SlsProducerError;
  if (error.code === "BufferFull") producer.send({ retried: true });
}

await producer.flush();
const stats: ProducerStats = producer.stats();
const pending: number = stats.pendingLogs + stats.handedBackLogs;
const report: CloseReport = await producer.close(5_000);
const everything: number = report.deliveredLogs + report.failedLogs;
const accounted: boolean = report.acceptedLogs === everything && report.handedBackLogs <= report.failedLogs;
const closed: boolean = producer.isClosed && report.closedLogs >= 0;
producer.free();

// Other credentials: STS from a callback, or an explicitly allowed static key.
new Producer({
  endpoint: "cn-hangzhou.log.aliyuncs.com", project: "p", logstore: "l",
  credentials: async () => ({ accessKeyId: "STS.x", accessKeySecret: "s", securityToken: "t",
    expiration: new Date() }),
  compression: "lz4", signatureVersion: "v4", region: "cn-hangzhou",
});
// @ts-expect-error compression is "lz4" or "none"
new Producer({ endpoint: "e", project: "p", webTracking: true, compression: "zstd" });

export { count, reasons, notAReason, codes, pending, accounted, closed };
