// fizz mqt update --name N [--function F] [--topic T] [--resptopic R] [--errortopic E]
//                 [--maxretries N] [--contenttype C] [--maxinflight N]
import type { Command } from "commander";
import { create } from "@bufbuild/protobuf";
import { MessageQueueTriggerSpecSchema } from "@fizz/proto";
import { adminApi, run, say } from "../../context.js";
import { usage } from "../../errors.js";
import { printResources } from "../../output.js";
import { getResource, unwrap } from "../../resources.js";
import { describeMqt, MQT_TABLE, specOptions, type SpecFlags } from "./table.js";

interface Opts extends SpecFlags {
  name: string;
  function?: string;
  topic?: string;
}

export function register(group: Command): void {
  const cmd = group
    .command("update")
    .description("change a message queue trigger (given flags replace what it had)")
    .requiredOption("--name <name>", "trigger name")
    .option("--function <name>", "function to invoke")
    .option("--topic <topic>", "topic to consume (a new topic is consumed from now on)");
  specOptions(cmd).action(
      run<Opts>(async (o, g) => {
        const { name, ...changes } = o;
        if (Object.values(changes).every((v) => v === undefined))
          throw usage("nothing to change: give --function, --topic, --resptopic, --errortopic, --maxretries, --contenttype or --maxinflight");
        const api = await adminApi();
        const t = await getResource(api, "messageQueueTrigger", g.namespace, name);
        const s = (t.spec ??= create(MessageQueueTriggerSpecSchema));
        if (o.function !== undefined) s.functionref = { $typeName: "fizz.v1.FunctionReference", type: "name", name: o.function, functionweights: {} };
        if (o.topic !== undefined) s.topic = o.topic;
        if (o.resptopic !== undefined) s.respTopic = o.resptopic;
        if (o.errortopic !== undefined) s.errorTopic = o.errortopic;
        if (o.maxretries !== undefined) s.maxRetries = o.maxretries;
        if (o.contenttype !== undefined) s.contentType = o.contenttype;
        if (o.maxinflight !== undefined) s.maxInFlight = o.maxinflight;
        const { wrap } = await import("@fizz/clients/resources");
        const updated = unwrap(await api.update({ resource: wrap(t) }), "messageQueueTrigger");
        if (g.output === "table") say(`trigger '${name}' updated: ${describeMqt(updated)}`);
        else printResources(updated, g.output, MQT_TABLE);
      }),
    );
}
