import { ExecutorService } from "@fizz/proto";
import { createClient, type Client } from "@fizz/rpc";
import { serviceAddress } from "@fizz/common";

export type ExecutorClient = Client<(typeof ExecutorService)["method"]>;

export function executorClient(address = serviceAddress("executor")): ExecutorClient {
  return createClient(ExecutorService, address);
}
