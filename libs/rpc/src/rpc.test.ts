import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { create, toBinary } from "@bufbuild/protobuf";
import { AdminService, StorageService, Kind, EventType, ListRequestSchema } from "@fizz/proto";
import { FizzError, notFound, silentLogger } from "@fizz/common";
import { bind, createClient, startRpcServer, type RpcServer } from "./index.js";

let server: RpcServer;

beforeAll(async () => {
  server = await startRpcServer(
    "127.0.0.1:0",
    [
      bind(AdminService, {
        create: async (req) => ({ environment: req.resource?.kind.case === "environment" ? req.resource.kind.value : undefined }).environment
          ? { kind: { case: "environment", value: req.resource!.kind.value! } }
          : {},
        get: async (req) => {
          if (req.name === "slow") await new Promise((r) => setTimeout(r, 500));
          throw notFound(`function "${req.name}" not found`, "NO_SUCH_FUNCTION");
        },
        list: async (req, ctx) => ({ items: [], resourceVersion: req.namespace === "echo-bytes" ? String(ctx.requestBytes?.length) : "7" }),
        // Decoded lazily: a 3-byte request is answered from its bytes without reading the message.
        update: async (req, ctx) => (ctx.requestBytes?.length === 3 ? {} : (req.resource ?? {})),
        delete: async () => ({}),
        watch: async function* (req) {
          for (let i = 1; i <= 3; i++) yield { type: EventType.ADDED, resourceVersion: String(i) };
          if (req.namespace === "fail") throw new FizzError("OUT_OF_RANGE", "too old");
        },
      }, { lazyRequests: ["update"] }),
      bind(StorageService, {
        upload: async (chunks) => {
          let size = 0;
          let sha = "";
          for await (const c of chunks) {
            if (c.part.case === "header") sha = c.part.value.sha256;
            else if (c.part.case === "data") size += c.part.value.length;
          }
          return { id: "a1", sha256: sha, size: BigInt(size) };
        },
        download: async function* () {
          yield { part: { case: "data", value: new Uint8Array([1, 2, 3]) } };
        },
        stat: async () => ({}),
        delete: async () => ({}),
      }),
    ],
    silentLogger,
  );
});

afterAll(() => server.stop());

describe("rpc", () => {
  it("round-trips unary calls with typed messages", async () => {
    const c = createClient(AdminService, server.address);
    const res = await c.create({ resource: { kind: { case: "environment", value: { metadata: { name: "nodejs" } } } } });
    expect(res.kind.case).toBe("environment");
    expect(res.kind.case === "environment" && res.kind.value.metadata?.name).toBe("nodejs");
    expect((await c.list({ kind: Kind.FUNCTION })).resourceVersion).toBe("7");
    c.close();
  });

  it("sends pre-encoded unary requests as is and hands handlers the received bytes", async () => {
    const c = createClient(AdminService, server.address);
    const bytes = toBinary(ListRequestSchema, create(ListRequestSchema, { kind: Kind.FUNCTION, namespace: "echo-bytes" }));
    expect((await c.callRaw("list", bytes)).resourceVersion).toBe(String(bytes.length));
    expect((await c.list({ kind: Kind.FUNCTION, namespace: "echo-bytes" })).resourceVersion).toBe(String(bytes.length));
    c.close();
  });

  it("decodes a lazy request only when the handler reads it", async () => {
    const c = createClient(AdminService, server.address);
    await expect(c.callRaw("update", new Uint8Array([0xff, 0xff, 0xff]))).resolves.toBeDefined();
    await expect(c.callRaw("update", new Uint8Array([0xff, 0xff, 0xff, 0xff]))).rejects.toMatchObject({ code: "INTERNAL" });
    const res = await c.update({ resource: { kind: { case: "environment", value: { metadata: { name: "lazy" } } } } });
    expect(res.kind.case === "environment" && res.kind.value.metadata?.name).toBe("lazy");
    c.close();
  });

  it("maps thrown FizzErrors to status codes and keeps message and reason", async () => {
    const c = createClient(AdminService, server.address);
    const err = (await c.get({ name: "x" }).catch((e) => e)) as FizzError;
    expect(err).toBeInstanceOf(FizzError);
    expect(err.code).toBe("NOT_FOUND");
    expect(err.message).toBe('function "x" not found');
    expect(err.reason).toBe("NO_SUCH_FUNCTION");
    c.close();
  });

  it("enforces deadlines", async () => {
    const c = createClient(AdminService, server.address);
    const err = (await c.get({ name: "slow" }, { timeoutMs: 50 }).catch((e) => e)) as FizzError;
    expect(err.code).toBe("DEADLINE_EXCEEDED");
    c.close();
  });

  it("streams server responses and surfaces stream errors", async () => {
    const c = createClient(AdminService, server.address);
    const seen: string[] = [];
    for await (const ev of c.watch({})) seen.push(ev.resourceVersion);
    expect(seen).toEqual(["1", "2", "3"]);
    const got: string[] = [];
    const err = await (async () => {
      for await (const ev of c.watch({ namespace: "fail" })) got.push(ev.resourceVersion);
    })().catch((e) => e);
    expect(got).toEqual(["1", "2", "3"]);
    expect((err as FizzError).code).toBe("OUT_OF_RANGE");
    c.close();
  });

  it("streams client requests", async () => {
    const c = createClient(StorageService, server.address);
    const res = await c.upload([
      { part: { case: "header", value: { sha256: "abc" } } },
      { part: { case: "data", value: new Uint8Array(10) } },
      { part: { case: "data", value: new Uint8Array(5) } },
    ]);
    expect(res.size).toBe(15n);
    expect(res.sha256).toBe("abc");
    c.close();
  });

  it("reports an unreachable server as UNAVAILABLE naming the target", async () => {
    const c = createClient(AdminService, "127.0.0.1:1");
    const err = (await c.list({}, { timeoutMs: 2000 }).catch((e) => e)) as FizzError;
    expect(["UNAVAILABLE", "DEADLINE_EXCEEDED"]).toContain(err.code);
    expect(err.message).toContain("127.0.0.1:1");
    c.close();
  });
});
