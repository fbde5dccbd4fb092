import { createLogger, runService } from "@fizz/common";
import { routerConfig } from "./config.js";
import { Router } from "./router.js";

const log = createLogger("router");
await runService("router", new Router(routerConfig(), log), log);
