import { describe, expect, it } from "@jest/globals";
import { silentLogger } from "@fizz/common";
import { Retention } from "./retention.js";
import type { InvocationSummary } from "./invocation.js";

const summary = (id: string, finishedAt: number): InvocationSummary => ({
  invocationId: id,
  status: "succeeded",
  function: "f",
  namespace: "default",
  method: "GET",
  url: "/",
  createdAt: new Date(finishedAt - 10).toISOString(),
  finishedAt: new Date(finishedAt).toISOString(),
  attempts: 1,
});

describe("Retention", () => {
  it("drops the oldest past the count, and removes their files", () => {
    const removed: string[] = [];
    const r = new Retention(2, 60_000, async (id) => void removed.push(id), silentLogger);
    for (const id of ["a", "b", "c"]) r.add(summary(id, Date.now()));
    expect([...r.summaries()].map((s) => s.invocationId)).toEqual(["b", "c"]);
    expect(r.has("a")).toBe(false);
    expect(removed).toEqual(["a"]);
  });

  it("drops those finished longer ago than the age limit", () => {
    const removed: string[] = [];
    const r = new Retention(100, 1000, async (id) => void removed.push(id), silentLogger);
    const now = Date.now();
    r.add(summary("old", now - 5000));
    r.add(summary("edge", now - 1000));
    r.add(summary("new", now));
    r.sweep(now);
    expect(removed).toEqual(["old"]);
    expect(r.size).toBe(2);
  });

  it("keeps going when removing a file fails", async () => {
    const r = new Retention(1, 1000, async () => {
      throw new Error("disk gone");
    }, silentLogger);
    r.add(summary("a", Date.now()));
    r.add(summary("b", Date.now()));
    await new Promise((res) => setImmediate(res));
    expect(r.size).toBe(1);
    expect(r.has("b")).toBe(true);
  });
});
