// The shipping thread (see worker-sink.ts): owns a recorder client and makes the StoreBatch
// calls, so their gRPC and HTTP/2 work, and the garbage they leave, stay off the router's
// event loop. Messages: a batch in, { id, stored } or { id, error } out; { id: 0, error } when the
// thread could not lower its priority.
import { parentPort, workerData } from "node:worker_threads";
import { recorderClient } from "@fizz/clients";
import { lowerThreadPriority } from "@fizz/common";

export interface ShipData {
  target: string;
  /** Nice value for this thread (see WorkerSink). */
  nice: number;
}

export interface ShipRequest {
  id: number;
  /** The batch is bytes [offset, offset + length) of buffer. */
  buffer: ArrayBuffer;
  offset: number;
  length: number;
  timeoutMs?: number;
}

export interface ShipReply {
  id: number;
  /** Records the recorder stored. */
  stored?: number;
  /** The call's error message; absent when the recorder stored the batch. */
  error?: string;
}

const port = parentPort!;
const data = workerData as ShipData;
const refused = lowerThreadPriority(data.nice);
if (refused) port.postMessage({ id: 0, error: refused } satisfies ShipReply);
const client = recorderClient(data.target);

port.on("message", (m: ShipRequest | "close") => {
  if (m === "close") {
    client.close();
    port.close();
    return;
  }
  client.callRaw("storeBatch", new Uint8Array(m.buffer, m.offset, m.length), { timeoutMs: m.timeoutMs }).then(
    (res) => port.postMessage({ id: m.id, stored: res.stored } satisfies ShipReply),
    (err: unknown) => port.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err) } satisfies ShipReply),
  );
});
