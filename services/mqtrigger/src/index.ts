export { MqTrigger, type MqTriggerOptions } from "./mqtrigger.js";
export { configSchema, type MqTriggerConfig } from "./config.js";
export { TriggerRunner, errorRecord, type TriggerView, type TriggerStatus } from "./engine.js";
export { NatsAdapter, streamNameFor } from "./nats.js";
export { KafkaAdapter, kafkaClient, type KafkaLike } from "./kafka.js";
export { durableName, type QueueAdapter, type QueueMessage } from "./queue.js";
