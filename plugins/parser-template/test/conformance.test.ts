/** The conformance kit on small VZT files made here, in memory. */
import { MemoryReader } from "@vz/core";
import { describeParser } from "@vz/core/testing";
import plugin from "../src/index.js";
import { writeVzt } from "./write-vzt.js";

const reader = new MemoryReader({
  "memory://vzt/temperature.vzt": writeVzt("temperature", 3, [1.5, 2.25, -3]),
  "memory://vzt/counts.vzt": writeVzt("counts", 2, [-7, 0, 300, 32767]),
  "memory://vzt/truncated.vzt": writeVzt("counts", 2, [1, 2, 3]).slice(0, 22),
});

describeParser({
  name: "vzt (template)",
  plugin,
  packageJson: new URL("../package.json", import.meta.url),
  cases: [
    {
      url: "memory://vzt/temperature.vzt",
      reader,
      expect: { arrays: ["temperature"], dataTypes: { temperature: "float32" }, values: { temperature: [1.5, 2.25, -3] } },
    },
    { url: "memory://vzt/counts.vzt", reader, expect: { shapes: { counts: [4] }, values: { counts: [-7, 0, 300, 32767] } } },
    { url: "memory://vzt/truncated.vzt", reader, expect: { error: "PARSE_FAILED" } },
  ],
});
