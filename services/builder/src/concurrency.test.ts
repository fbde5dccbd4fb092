import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Kind } from "@fizz/proto";
import type { QueueSnapshot } from "./queue.js";
import type { Builder } from "./builder.js";
import { createEnv, createSourcePackage, startPlatform, until, zipOf, type Platform } from "./__fixtures__/platform.js";

let p: Platform;
let builder: Builder;

beforeAll(async () => {
  p = await startPlatform();
  await createEnv(p.admin, "nodejs");
  builder = await p.startBuilder({ FIZZ_BUILD_CONCURRENCY: "1" });
});

afterAll(() => p?.close());

describe("builder concurrency", () => {
  it("never runs more builds than allowed, and builds them all", async () => {
    const names = ["c1", "c2", "c3"];
    const source = { type: "literal", literal: await zipOf({ "a.txt": "a" }) };
    for (const n of names) await createSourcePackage(p.admin, n, "nodejs", source, 'sleep 0.5; cp a.txt "$DEPLOY_PKG/"');
    let maxRunning = 0;
    let maxQueued = 0;
    await until(
      "all built",
      async () => {
        const items = (await p.admin.list({ kind: Kind.PACKAGE })).items;
        const statuses = items.map((r) => (r.kind.case === "package" ? r.kind.value.status?.buildstatus : ""));
        maxRunning = Math.max(maxRunning, statuses.filter((s) => s === "running").length);
        const q = (await (await fetch(`http://${builder.address}/builds`)).json()) as QueueSnapshot;
        maxQueued = Math.max(maxQueued, q.queued.length);
        expect(q.running.length).toBeLessThanOrEqual(1);
        return statuses.length === 3 && statuses.every((s) => s === "succeeded");
      },
      20_000,
    );
    expect(maxRunning).toBe(1);
    expect(maxQueued).toBeGreaterThanOrEqual(1);
  });
});
