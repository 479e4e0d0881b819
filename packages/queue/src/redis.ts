/**
 * Redis connection options from a `redis://[user:password@]host:port[/db]` URL, set for BullMQ
 * (no per-request retry limit, so a restarted Redis is waited for instead of failing jobs).
 * @module
 */
import { InvalidArgumentError } from "@vz/core";
import type { RedisOptions } from "ioredis";

/** Parses `url` into ioredis options; a typed error names a malformed URL. */
export function redisOptions(url: string): RedisOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidArgumentError(`@vz/queue: "${url}" is not a Redis URL (redis://host:port[/db])`);
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") {
    throw new InvalidArgumentError(`@vz/queue: "${url}" is not a Redis URL (redis://host:port[/db] or rediss:// for TLS)`);
  }
  const db = parsed.pathname.replace(/^\//, "");
  if (db !== "" && !/^\d+$/.test(db)) throw new InvalidArgumentError(`@vz/queue: database "${db}" in ${url} is not a number`);
  return {
    host: parsed.hostname || "127.0.0.1",
    port: parsed.port ? Number(parsed.port) : 6379,
    ...(db ? { db: Number(db) } : {}),
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(parsed.protocol === "rediss:" ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
    retryStrategy: (times: number) => Math.min(200 * times, 2000),
  };
}
