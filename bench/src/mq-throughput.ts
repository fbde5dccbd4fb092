// bench/mq-throughput: messages/s through a NATS JetStream message-queue trigger to a trivial
// Node function (each message: delivery → router → function → answer published to a response
// topic → ack), against the same function called over HTTP through the router at the same
// concurrency, in the same run.
import { connect } from "nats";
import { startNatsServer } from "@fizz/mqtrigger/testing/nats-server";
import { fizzOk, newStateDir, startPlatform } from "@fizz/e2e/platform";
import { load, round, writeResult } from "./common.js";

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 20_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const IN_FLIGHT = 50;

async function main() {
  const nats = await startNatsServer();
  const p = await startPlatform({ stateDir: newStateDir(), env: { FIZZ_NATS_URL: nats.url } });
  const nc = await connect({ servers: nats.url });
  try {
    await fizzOk(p, ["fn", "create", "--name", "trivial", "--env", "nodejs", "--code", "./greet.js", "--requestsperpod", "1000", "--concurrency", "1"]);
    await fizzOk(p, ["mqt", "create", "--name", "bench", "--function", "trivial", "--topic", "bench.in", "--resptopic", "bench.out", "--maxinflight", String(IN_FLIGHT)]);
    for (let i = 0; !/SUBSCRIBED[\s\S]*\byes\b/.test(await fizzOk(p, ["mqt", "get", "--name", "bench"])); i++) {
      if (i > 100) throw new Error("the trigger never subscribed");
      await new Promise((r) => setTimeout(r, 200));
    }
    let answers = 0;
    let waiting: { n: number; done: () => void } | undefined;
    nc.subscribe("bench.out", {
      callback: () => {
        answers++;
        if (waiting && answers >= waiting.n) waiting.done();
      },
    });
    const js = nc.jetstream();
    const payload = Buffer.from(JSON.stringify({ order: 42, items: ["a", "b"] }));
    /** Publishes n messages (acknowledged by JetStream) and resolves when n more answers arrived. */
    const run = async (n: number) => {
      const target = answers + n;
      const allAnswered = new Promise<void>((done) => (waiting = { n: target, done }));
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i += 500) await Promise.all(Array.from({ length: Math.min(500, n - i) }, () => js.publish("bench.in", payload)));
      const published = Number(process.hrtime.bigint() - t0) / 1e6;
      await allAnswered;
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      return { messages: n, ms: round(ms, 1), perSecond: Math.round((n / ms) * 1000), publishMs: round(published, 1) };
    };
    process.stdout.write("warming up…\n");
    await run(1000);
    const url = `${p.routerUrl}/fizz-function/trivial`;
    await load(url, IN_FLIGHT, 2);

    // Alternate, best of two each, so drift on a shared machine hits both alike.
    const mq: Awaited<ReturnType<typeof run>>[] = [];
    const http: Awaited<ReturnType<typeof load>>[] = [];
    for (let i = 0; i < 2; i++) {
      mq.push(await run(MESSAGES));
      http.push(await load(url, IN_FLIGHT, SECONDS));
    }
    const m = mq.reduce((a, b) => (b.perSecond > a.perSecond ? b : a));
    const h = http.reduce((a, b) => (b.rps > a.rps ? b : a));
    const ratio = m.perSecond / h.rps;
    writeResult(
      "mq-throughput",
      { inFlight: IN_FLIGHT, mq: m, http: h, ratio: round(ratio, 3) },
      [
        `Messages through a NATS JetStream trigger (maxInFlight ${IN_FLIGHT}, answers published to a response topic) to a`,
        `trivial Node function, vs the same function over HTTP through the router with ${IN_FLIGHT} connections.`,
        "",
        "| path | throughput | notes |",
        "| --- | --- | --- |",
        `| NATS trigger | ${m.perSecond} msg/s | ${m.messages} messages published (JetStream-acknowledged, ${m.publishMs} ms) until the last answer arrived: ${m.ms} ms |`,
        `| HTTP via router (baseline) | ${h.rps} req/s | p50 ${h.p50} ms, p99 ${h.p99} ms |`,
        `| ratio | ${round(ratio, 3)} | trigger / baseline |`,
        "",
        "Per message the trigger does a JetStream delivery, a POST through the router, a JetStream publish of the answer",
        "(waiting for its PubAck) and an acknowledged ack (`ackAck`), so it is at-least-once with nothing held only in memory.",
      ].join("\n"),
    );
  } finally {
    await nc.close();
    await p.stop();
    await nats.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
