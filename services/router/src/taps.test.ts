import { describe, expect, it } from "@jest/globals";
import { silentLogger } from "@fizz/common";
import { Taps } from "./taps.js";

describe("Taps", () => {
  it("sends the addresses used since the last flush in one call, and nothing when idle", async () => {
    const sent: string[][] = [];
    const taps = new Taps({ tapServices: async (req) => (sent.push([...(req.addresses ?? [])]), {}) as never }, 20, silentLogger);
    taps.start();
    for (let i = 0; i < 100; i++) taps.add(`127.0.0.1:${1000 + (i % 3)}`);
    await new Promise((r) => setTimeout(r, 80));
    taps.stop();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.sort()).toEqual(["127.0.0.1:1000", "127.0.0.1:1001", "127.0.0.1:1002"]);
  });

  it("swallows executor failures", async () => {
    const taps = new Taps({ tapServices: async () => Promise.reject(new Error("down")) }, 1000, silentLogger);
    taps.add("127.0.0.1:1");
    await expect(taps.flush()).resolves.toBeUndefined();
  });
});
