// When is a new version serving? When both hops a request takes have moved to it:
//  1. the router's function table holds the new resource version (it then drops the instances
//     it held for the old one, so no new request goes to old code; GET /_fizz/routes), and
//  2. the executor hands out an instance specialized for that version (GetServiceForFunction;
//     this also specializes the new code, so the user's next request is warm).
// From then on every new request runs the new code; in-flight ones finish on the old instance,
// which the executor drains.
import { request } from "undici";
import type { ExecutorClient } from "@fizz/clients";
import { routerUrl } from "@fizz/common/ports";
import { describeError } from "../errors.js";

export interface Live {
  live: boolean;
  /** Why not, when not live. */
  detail?: string;
}

const atLeast = (got: string | undefined, want: string) => !!got && BigInt(got) >= BigInt(want);

async function routerVersion(base: string, key: string): Promise<string | undefined> {
  const res = await request(`${base}/_fizz/routes`, { headersTimeout: 5000 });
  const body = (await res.body.json()) as { functions?: Array<{ key: string; resourceVersion: string }> };
  return body.functions?.find((f) => f.key === key)?.resourceVersion;
}

/** Waits until function `namespace/name` serves `resourceVersion` or later, or the time is up. */
export async function waitLive(executor: ExecutorClient, name: string, namespace: string, resourceVersion: string, timeoutMs = 60_000, base = routerUrl()): Promise<Live> {
  const deadline = Date.now() + timeoutMs;
  let detail = "";
  let routed = false;
  for (let delay = 5; ; delay = Math.min(delay * 2, 200)) {
    try {
      if (!routed) {
        const rv = await routerVersion(base, `${namespace}/${name}`);
        routed = atLeast(rv, resourceVersion);
        detail = `the router still routes version ${rv ?? "none"}`;
      }
      if (routed) {
        const left = Math.max(1000, deadline - Date.now());
        const res = await executor.getServiceForFunction({ function: { name, namespace }, busyAddresses: [] }, { timeoutMs: left });
        if (atLeast(res.functionResourceVersion, resourceVersion)) return { live: true };
        detail = `the executor still serves version ${res.functionResourceVersion}`;
      }
    } catch (err) {
      // A package still building is FAILED_PRECONDITION here: keep waiting, say why at the end.
      detail = describeError(err);
    }
    if (Date.now() + delay > deadline) return { live: false, detail };
    await new Promise((r) => setTimeout(r, delay));
  }
}
