/**
 * Redis connection options from a `redis://[user:password@]host:port[/db]` URL, set for BullMQ
 * (no per-request retry limit, so a restarted Redis is waited for instead of failing jobs).
 * @module
 */
import { InvalidArgumentError, PermissionDeniedError, ReadError } from "@vz/core";
import { Redis, type RedisOptions } from "ioredis";

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

/** `url` without its password, for messages. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.href;
  } catch {
    return url;
  }
}

const AUTH_FAILURE = /WRONGPASS|NOAUTH|invalid username-password|invalid password|AUTH.*without any password|NOPERM/i;

/**
 * Connects once and sends PING, so that a wrong or missing password is a typed error at once
 * (PERMISSION_DENIED) instead of endless reconnecting. A server that cannot be reached is a
 * READ_FAILED error, unless `waitForServer` (a worker started before Redis waits for it).
 */
export async function checkRedis(url: string, options: { waitForServer?: boolean; timeoutMs?: number } = {}): Promise<void> {
  const client = new Redis({
    ...redisOptions(url),
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: options.timeoutMs ?? 10_000,
  });
  // ioredis reports a refused AUTH as an "error" event and then closes the connection.
  let reported: Error | undefined;
  client.on("error", (error: Error) => (reported ??= error));
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    const own = (error as Error)?.message ?? String(error);
    const message = reported && AUTH_FAILURE.test(reported.message) ? reported.message : reported && /Connection is closed/.test(own) ? reported.message : own;
    if (AUTH_FAILURE.test(message)) {
      throw new PermissionDeniedError(
        `Redis at ${redactRedisUrl(url)} refused the connection: ${message} (give the password in the URL: redis://:PASSWORD@HOST:PORT, or redis://USER:PASSWORD@HOST:PORT for an ACL user)`,
        { cause: error },
      );
    }
    if (!options.waitForServer) throw new ReadError(`cannot reach Redis at ${redactRedisUrl(url)}: ${message}`, { cause: error });
  } finally {
    client.disconnect();
  }
}
