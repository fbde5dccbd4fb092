// POST /specialize on a pod's fetcher sidecar: it downloads and unpacks the archive inside the pod
// and specializes the runtime next to it. Its error JSON ({code, message}) becomes a FizzError.
import { Agent } from "undici";
import { toJson } from "@bufbuild/protobuf";
import { ERROR_CODES, FizzError, type ErrorCode } from "@fizz/common";
import { PackageSchema } from "@fizz/proto";
import type { LoadRequest } from "../pool-backend.js";
import { postSpecialize } from "../../poolmgr/runtime-client.js";

export class FetcherClient {
  private readonly agent = new Agent({ keepAliveTimeout: 10_000, connections: 4 });

  async specialize(address: string, req: LoadRequest): Promise<void> {
    const body = JSON.stringify({ package: toJson(PackageSchema, req.pkg), functionName: req.functionName, v1: req.v1, timeoutMs: req.timeoutMs });
    // The fetcher's own download + unpack come on top of the runtime's specialization time.
    const timeout = req.timeoutMs + 30_000;
    const res = await postSpecialize(this.agent, `http://${address}/specialize`, body, timeout, `fetcher at ${address}`);
    if (res) throw errorOf(res.status, res.text);
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/** The fetcher's {code, message[, reason]} as a FizzError; anything else keeps its text. */
export function errorOf(status: number, text: string): FizzError {
  let j: { code?: unknown; message?: unknown; reason?: unknown } = {};
  try {
    j = JSON.parse(text) as typeof j;
  } catch {
    /* not JSON */
  }
  const code: ErrorCode = typeof j.code === "string" && j.code in ERROR_CODES ? (j.code as ErrorCode) : status >= 500 ? "UNAVAILABLE" : "INVALID_ARGUMENT";
  const message = typeof j.message === "string" ? j.message : `fetcher answered ${status}: ${text.trim().slice(0, 500)}`;
  return new FizzError(code, message, typeof j.reason === "string" ? j.reason : undefined);
}
