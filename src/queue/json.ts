/**
 * A value that survives JSON.stringify / JSON.parse unchanged. Outbox payloads are stored
 * as jsonb and become BullMQ job data, so anything else (Date, Map, class instances,
 * undefined, bigint) would silently change shape between producer and worker.
 */
export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
