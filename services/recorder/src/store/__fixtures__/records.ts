// Builders for records in tests.
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { RecordSchema, type Record as RecordMsg } from "@fizz/proto";
import { encodeRecord, type EncodedRecord } from "../record-bytes.js";

let seq = 0;

export function record(init: MessageInitShape<typeof RecordSchema> = {}): RecordMsg {
  seq++;
  return create(RecordSchema, {
    requestId: `req-${seq}-${Math.random().toString(36).slice(2, 8)}`,
    function: "hello",
    namespace: "default",
    timestampMs: BigInt(Date.now()),
    method: "GET",
    url: "/fizz-function/hello",
    status: 200,
    retentionSeconds: 3600n,
    requestHeaders: { accept: "application/json" },
    responseHeaders: { "content-type": "application/json" },
    responseBody: new TextEncoder().encode('{"ok":true}'),
    ...init,
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Records as a store takes them (normalized in place, as the recorder does before storing). */
export const enc = (records: RecordMsg[]): EncodedRecord[] => records.map((r) => encodeRecord(r));
