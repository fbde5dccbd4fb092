import { fromBinary, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";

/** grpc-js (de)serializers for one protobuf-es message schema. */
export function codec<S extends DescMessage>(schema: S) {
  return {
    serialize(msg: MessageShape<S>): Buffer {
      const u8 = toBinary(schema, msg);
      return Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
    },
    deserialize(buf: Buffer): MessageShape<S> {
      return fromBinary(schema, buf);
    },
  };
}
