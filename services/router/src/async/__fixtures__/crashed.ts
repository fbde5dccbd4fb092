// What a router that died mid-attempt leaves behind: state "running", its first attempt unfinished.
import type { Invocation } from "../invocation.js";

export function crashedInvocation(id: string, url: string, bodyBytes: number, at = Date.now()): Invocation {
  const t = new Date(at).toISOString();
  return {
    invocationId: id,
    status: "running",
    function: "echo",
    namespace: "default",
    method: "POST",
    url,
    headers: { host: "x" },
    bodyBytes,
    createdAt: t,
    startedAt: t,
    attempts: [{ attempt: 1, requestId: `${id}.1`, startedAt: t }],
  };
}
