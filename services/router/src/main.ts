import { createLogger, runService } from "@fizz/common";
import { traced } from "@fizz/telemetry";
import { routerConfig } from "./config.js";
import { Router } from "./router.js";

const log = createLogger("router");
await runService("router", await traced("router", new Router(routerConfig(), log), log), log);
