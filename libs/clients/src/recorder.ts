import { RecorderService } from "@fizz/proto";
import { createClient, type Client } from "@fizz/rpc";
import { serviceAddress } from "@fizz/common";

export type RecorderClient = Client<(typeof RecorderService)["method"]>;

export function recorderClient(address = serviceAddress("recorder")): RecorderClient {
  return createClient(RecorderService, address);
}
