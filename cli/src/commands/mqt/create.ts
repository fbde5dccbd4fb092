// fizz mqt create [--name N] --function F --topic T [--mqtype nats|kafka] [--resptopic R]
//                 [--errortopic E] [--maxretries N] [--contenttype C] [--maxinflight N]
import type { Command } from "commander";
import { create } from "@bufbuild/protobuf";
import { MessageQueueTriggerSchema } from "@fizz/proto";
import { adminApi, run, say } from "../../context.js";
import { printResources } from "../../output.js";
import { derivedName, unwrap } from "../../resources.js";
import { saveSpec } from "../../spec/save.js";
import { describeMqt, mqTypeArg, MQT_TABLE, specOptions, type SpecFlags } from "./table.js";

interface Opts extends SpecFlags {
  name?: string;
  function: string;
  mqtype: string;
  topic: string;
  spec?: boolean;
}

export function register(group: Command): void {
  const cmd = group
    .command("create")
    .description("invoke a function for every message on a NATS (JetStream) or Kafka topic")
    .option("--name <name>", "trigger name (default: <function>-<random>)")
    .requiredOption("--function <name>", "function to invoke per message")
    .option("--mqtype <type>", "message queue: nats or kafka", mqTypeArg, "nats")
    .requiredOption("--topic <topic>", "topic (NATS subject) to consume")
    .option("--spec", "write the spec file (specs/…) instead of creating it; apply with fizz spec apply");
  specOptions(cmd).action(
    run<Opts>(async (o, g) => {
        const t = create(MessageQueueTriggerSchema, {
          metadata: { name: o.name ?? derivedName(o.function), namespace: g.namespace },
          spec: {
            functionref: { type: "name", name: o.function },
            messageQueueType: o.mqtype,
            topic: o.topic,
            respTopic: o.resptopic ?? "",
            errorTopic: o.errortopic ?? "",
            maxRetries: o.maxretries ?? 0,
            contentType: o.contenttype ?? "",
            maxInFlight: o.maxinflight,
          },
        });
        if (o.spec) return void (await saveSpec(`mqt-${t.metadata!.name}.yaml`, [t]));
        const { wrap } = await import("@fizz/clients/resources");
        const made = unwrap(await (await adminApi()).create({ resource: wrap(t) }), "messageQueueTrigger");
        if (g.output === "table") say(`trigger '${made.metadata?.name}' created: ${describeMqt(made)}`);
        else printResources(made, g.output, MQT_TABLE);
      }),
    );
}
