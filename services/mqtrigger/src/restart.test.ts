// No loss across a crash: the built mqtrigger process (as `fizz up` forks it) is SIGKILLed while
// the function is handling a message; a new process gets the message again after the ack wait
// and publishes the answer. Build first: npx tsc -b services/mqtrigger.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { fork, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startPlatform, statusOf, subscribed, TEST_ENV, until, type Platform } from "./__fixtures__/platform.js";
import { natsHarness } from "./__fixtures__/queues.js";

const main = join(dirname(fileURLToPath(import.meta.url)), "..", "dist", "main.js");

let p: Platform;
let q: Awaited<ReturnType<typeof natsHarness>>;
const children: ChildProcess[] = [];

beforeAll(async () => {
  p = await startPlatform();
  q = await natsHarness();
}, 60_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await p?.shutdown();
  await q?.close();
}, 60_000);

async function startProcess(): Promise<{ child: ChildProcess; address: string }> {
  const child = fork(main, [], {
    env: { ...process.env, ...TEST_ENV, NODE_OPTIONS: "", FIZZ_MQTRIGGER: "127.0.0.1:0", FIZZ_ADMIN: p.controller.address, FIZZ_ROUTER: p.router.url, FIZZ_NATS_URL: q.server.url },
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  children.push(child);
  const ready = await new Promise<{ ready: string; address: string }>((resolve, reject) => {
    child.once("message", (m) => resolve(m as { ready: string; address: string }));
    child.once("exit", (code) => reject(new Error(`mqtrigger exited with ${code}`)));
  });
  expect(ready.ready).toBe("mqtrigger");
  return { child, address: ready.address };
}

describe("mqtrigger restart", () => {
  it("redelivers a message whose handler was killed, and answers it once restarted", async () => {
    const resp = q.watch("crash.done");
    const first = await startProcess();
    await p.createTrigger("crash", { messageQueueType: "nats", functionref: { name: "echo" }, topic: "crash.in", respTopic: "crash.done" });
    await subscribed(first.address, "crash");
    await q.publish("crash.in", JSON.stringify({ id: "crash-1", hold: true }));
    await q.publish("crash.in", JSON.stringify({ id: "crash-2" }));
    await until("held", () => p.sink.isHeld("crash-1"), 20_000);
    await until("the other one answered", () => resp.some((r) => r.data.includes("crash-2")), 20_000);
    // ...and acknowledged (answered and not acknowledged would rightly be delivered again).
    await until("the other one acknowledged", async () => (await statusOf(first.address, "crash"))?.handled === 1, 20_000);

    const exited = new Promise((r) => first.child.once("exit", r));
    first.child.kill("SIGKILL");
    await exited;
    p.sink.release("crash-1"); // the function finishes, but nobody is left to acknowledge

    const second = await startProcess();
    // Redelivered once the ack wait (2 s here) has passed; held again, then answered.
    await until("redelivered", () => p.sink.of("crash-1").length === 2, 20_000);
    expect(p.sink.of("crash-1")[1]!.headers["x-fizz-mqtrigger-redelivered"]).toBe("true");
    await until("held again", () => p.sink.isHeld("crash-1"), 20_000);
    p.sink.release("crash-1");
    await until("answered", () => resp.some((r) => r.data.includes("crash-1")), 20_000);
    expect(resp.filter((r) => r.data.includes("crash-1"))).toHaveLength(1);
    // Acknowledged before the crash, so the queue does not hand it out again. (Delivery to the
    // function is at-least-once: a router retry on a broken connection may repeat a call, so the
    // check is on the queue's redelivery flag, not on the number of calls.)
    expect(p.sink.of("crash-2").length).toBeGreaterThanOrEqual(1);
    expect(p.sink.of("crash-2").filter((s) => s.headers["x-fizz-mqtrigger-redelivered"] === "true")).toEqual([]);

    const gone = new Promise((r) => second.child.once("exit", r));
    second.child.disconnect(); // like `fizz up` going away
    await gone;
  }, 90_000);
});
