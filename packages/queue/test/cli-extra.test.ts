/** `@vz/queue` is an optional extra of the CLI: without it the queue commands say how to add it. */
import { describe, expect, it } from "vitest";
import { importQueue, QUEUE_INSTALL } from "../../../apps/cli/src/commands/queue.js";

describe("importQueue (vz CLI)", () => {
  it("gives the install command when @vz/queue is missing, and the cause when it fails to load", async () => {
    const missing = () => Promise.reject(new Error("Cannot find package '@vz/queue' imported from /x/cli.js"));
    await expect(importQueue("vz worker", missing)).rejects.toMatchObject({
      code: "PLUGIN_LOAD_FAILED",
      packageName: "@vz/queue",
      message: expect.stringContaining(`vz worker needs the optional package @vz/queue, which is not installed. Install it next to @vz/cli: ${QUEUE_INSTALL}`),
    });
    const broken = () => Promise.reject(new Error("Cannot find package 'ioredis'"));
    await expect(importQueue("vz virtualize --queue", broken)).rejects.toMatchObject({ code: "PLUGIN_LOAD_FAILED", message: expect.stringContaining("cannot load @vz/queue: Cannot find package 'ioredis'") });
    const queue = await importQueue("vz worker");
    expect(typeof queue.startQueueWorker).toBe("function");
  });
});
