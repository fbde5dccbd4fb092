// Generated protobuf-es code for the wire contract in proto/. Regenerate with `pnpm gen`.
export * from "./gen/fizz/v1/meta_pb.js";
export * from "./gen/fizz/v1/resources_pb.js";
export * from "./gen/fizz/v1/admin_pb.js";
export * from "./gen/fizz/v1/executor_pb.js";
export * from "./gen/fizz/v1/storage_pb.js";
export * from "./kinds.js";
export * from "./gen/fizz/v1/recorder_pb.js";
