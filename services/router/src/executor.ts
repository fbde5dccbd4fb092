import type { ExecutorClient } from "@fizz/clients";

/** The executor calls the router makes (the typed client satisfies it). */
export type ExecutorApi = Pick<ExecutorClient, "getServiceForFunction" | "tapServices" | "reportUnreachable">;
