export { Recorder, storeFor } from "./recorder.js";
export { configSchema, type RecorderConfig } from "./config.js";
export { recorderImpl, MAX_BATCH } from "./handlers.js";
export { replay, replayPath, replayHeaders, REDACTED, REPLAY_HEADER, type ReplayOptions } from "./replay.js";
export { compareResponses, jsonDifferences, ignoredBy, type Comparison, type Side } from "./compare.js";
export { statusMatcher, resolveFilter, normalizeRecord, type ListFilter, type RecordStore } from "./store/store.js";
export { EmbeddedStore, type EmbeddedStoreOptions } from "./store/embedded-store.js";
export { RedisStore, type RedisStoreOptions } from "./store/redis-store.js";
