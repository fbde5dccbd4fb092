import { AdminService } from "@fizz/proto";
import { createClient, type Client } from "@fizz/rpc";
import { serviceAddress } from "@fizz/common";

export type AdminClient = Client<(typeof AdminService)["method"]>;

/** Client of the controller's AdminService (FIZZ_ADMIN or 127.0.0.1:9090). */
export function adminClient(address = serviceAddress("controller")): AdminClient {
  return createClient(AdminService, address);
}
