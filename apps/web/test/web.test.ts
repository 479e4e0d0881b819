/**
 * The inspector page in a real browser: the page is built with Vite, served with real netCDF4
 * files from 127.0.0.1, and driven in headless Chromium (playwright-core, Debian's /usr/bin/chromium).
 * What the page shows is compared with what the `vz` CLI says about the same URL.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { unzipSync, unzlibSync } from "fflate";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { colorFor, finiteRange } from "../src/colors.js";
import { startStaticServer, type StaticServer } from "./static-server.js";

const app = resolve(import.meta.dirname, "..");
const repo = resolve(app, "../..");
const dataRoot = resolve(repo, "../shared/data");
const dataDir = join(dataRoot, "netcdf4");
const CMIP = "tas_Amon_CanESM2_rcp85_r1i1p1_200701-200712.nc";
const CHROMIUM = process.env.VZ_CHROMIUM ?? "/usr/bin/chromium";
const cliBin = join(repo, "apps/cli/dist/bin.js");
const PYTHON = "/usr/bin/python3";
/** `VZ_WEB_DOCS_SCREENSHOT=path`: the CMIP test also saves the screenshot the README shows there. */
const docsScreenshot = process.env.VZ_WEB_DOCS_SCREENSHOT;

const missing = [
  !existsSync(join(dataDir, CMIP)) && `test file ${join(dataDir, CMIP)} (../shared/data is absent)`,
  !existsSync(CHROMIUM) && `Chromium at ${CHROMIUM} (apt-get install chromium, or set VZ_CHROMIUM)`,
  !existsSync(cliBin) && `the CLI build ${cliBin} (run pnpm build)`,
].filter(Boolean);
if (missing.length) console.warn(`web browser tests skipped: missing ${missing.join("; ")}`);

const run = promisify(execFile);

/** Runs the vz CLI (a child process: this process serves the files it reads). */
async function vz(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cliBin, ...args], { cwd: repo, maxBuffer: 64 << 20 });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

/**
 * Values of a netCDF file read with the netCDF4 Python library (the independent oracle): `script`
 * gets `d` (the open Dataset) and `args`, and sets `out` to something JSON can write.
 */
async function netcdf4Oracle(file: string, script: string, args: unknown): Promise<unknown> {
  const program = [
    "import json, sys, netCDF4, numpy",
    "d = netCDF4.Dataset(sys.argv[1])",
    "args = json.loads(sys.argv[2])",
    script,
    "print(json.dumps(out))",
  ].join("\n");
  const { stdout } = await run(PYTHON, ["-c", program, file, JSON.stringify(args)], { maxBuffer: 64 << 20 });
  return JSON.parse(stdout);
}

/** Every file under `dir` (paths relative to it, "/"-separated) with its bytes. */
async function filesUnder(dir: string, prefix = ""): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) for (const [name, bytes] of await filesUnder(path, `${prefix}${entry.name}/`)) out.set(name, bytes);
    else out.set(`${prefix}${entry.name}`, await readFile(path));
  }
  return out;
}

describe.skipIf(missing.length > 0)("web inspector in headless Chromium", () => {
  let work: string;
  let dist: string;
  let shots: string;
  let server: StaticServer;
  let browser: Browser;
  let brokenBytes: Uint8Array;
  /** In-memory files of the server (looked up per request, so tests can add some). */
  let served: Record<string, Uint8Array>;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "vz-web-test-"));
    dist = join(work, "dist");
    shots = join(work, "screenshots");
    await mkdir(shots);
    const { build } = await import("vite");
    await build({ root: app, configFile: join(app, "vite.config.ts"), logLevel: "warn", build: { outDir: dist, emptyOutDir: true } });
    // A broken netCDF4 file: the real file cut after its first 3000 bytes (the superblock survives).
    brokenBytes = new Uint8Array(await readFile(join(dataDir, CMIP))).slice(0, 3000);
    served = { "/broken/tas_broken.nc": brokenBytes };
    server = await startStaticServer({ mounts: { "/": dist, "/data/": dataRoot }, files: served });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (shots) console.log(`screenshots: ${(await readdir(shots).catch(() => [])).map((f) => join(shots, f)).join(", ")}`);
  });

  async function openPage(query: string, settled: readonly string[] = ["ready", "error"], before?: (page: Page) => void): Promise<Page> {
    const page = await browser.newPage({ acceptDownloads: true, viewport: { width: 1400, height: 1000 } });
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(error.message));
    before?.(page);
    await page.goto(`${server.url}/index.html?${query}`);
    await page.waitForFunction((states) => states.includes(document.body.dataset.state ?? ""), settled, { timeout: 45_000 });
    expect(problems).toEqual([]);
    return page;
  }

  /** Clicks the download link (or `button`) and returns the bytes the browser saved. */
  async function downloadedBytes(page: Page, name: string, button = "#download"): Promise<Buffer> {
    const [download] = await Promise.all([page.waitForEvent("download"), page.click(button)]);
    const saved = join(work, `page-${name}`);
    await download.saveAs(saved);
    return readFile(saved);
  }

  /** The page's variables with their chunk counts. */
  async function chunkCounts(page: Page): Promise<Record<string, number>> {
    const rows = await page.$$eval("tr[data-var]", (trs) =>
      trs.map((tr) => [(tr as HTMLElement).dataset.var!, Number(tr.querySelector("td.chunks")!.textContent)] as const),
    );
    return Object.fromEntries(rows);
  }

  /**
   * Reads `variable[slice]` with `vz read --decode --json` for the same URL and checks that every
   * pixel of the page's heatmap has the colour the scale gives that value, and the scale's range.
   */
  async function expectHeatmapMatchesCli(page: Page, fileUrl: string, variable: string, slice: string) {
    const read = await vz(["read", fileUrl, "--var", variable, "--slice", slice, "--decode", "--json"]);
    expect(read.code, read.stderr).toBe(0);
    const { shape, values } = JSON.parse(read.stdout) as { shape: [number, number]; values: (number | null)[] };
    const decoded = Float64Array.from(values, (v) => (v === null ? NaN : v));
    const { min, max } = finiteRange(decoded);
    expect(max).toBeGreaterThan(min);
    const canvas = await page.$eval("#heatmap", (c) => {
      const canvas = c as HTMLCanvasElement;
      const data = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
      return { width: canvas.width, height: canvas.height, pixels: Array.from(data), min: Number(canvas.dataset.min), max: Number(canvas.dataset.max), slice: canvas.dataset.slice };
    });
    expect(canvas.slice).toBe(slice);
    expect([canvas.height, canvas.width]).toEqual(shape);
    expect([canvas.min, canvas.max]).toEqual([min, max]);
    let mismatches = 0;
    for (let i = 0; i < decoded.length; i++) {
      const want = colorFor(decoded[i]!, min, max);
      if (want.some((c, k) => c !== canvas.pixels[i * 4 + k])) mismatches++;
    }
    expect(mismatches).toBe(0);
    return { decoded, pixels: canvas.pixels, min, max };
  }

  it("lists every variable with the chunk counts of `vz inspect --json`, draws the heatmap, offers the CLI's kerchunk JSON", async () => {
    const fileUrl = `${server.url}/data/netcdf4/${CMIP}`;
    const page = await openPage(`url=${encodeURIComponent(fileUrl)}&var=tas`);
    try {
      expect(await page.locator("body").getAttribute("data-state"), await page.locator("#status").textContent() ?? "").toBe("ready");
      await page.screenshot({ path: join(shots, "cmip-tas.png"), fullPage: true });
      // The file is virtualized where it lies: the page asked for its size and byte ranges, never the whole file.
      const reads = server.log.filter((entry) => entry.path === `/data/netcdf4/${CMIP}` && entry.method !== "HEAD");
      expect(reads.length).toBeGreaterThan(0);
      expect(reads.filter((entry) => entry.range === undefined || entry.status !== 206)).toEqual([]);

      // Tree: every variable with its chunk count, as the CLI counts them for the same URL.
      const inspect = await vz(["inspect", "--json", fileUrl]);
      expect(inspect.code, inspect.stderr).toBe(0);
      const report = JSON.parse(inspect.stdout) as { parser: string; arrays: { path: string; chunkCount: number; dtype: string; shape: number[] }[] };
      const expected = Object.fromEntries(report.arrays.map((a) => [a.path, a.chunkCount]));
      const counts = await chunkCounts(page);
      expect(counts).toEqual(expected);
      expect(Object.keys(counts).length).toBe(8);
      expect(expected["/tas"]).toBe(12);
      expect(await page.locator("#summary").textContent()).toContain(`parser: ${report.parser}`);
      const tasRow = page.locator('tr[data-var="/tas"]');
      expect(await tasRow.locator("td.dims").textContent()).toBe("(time, lat, lon)");
      expect(await tasRow.locator("td.dtype").textContent()).toBe(report.arrays.find((a) => a.path === "/tas")!.dtype);
      expect(await tasRow.getAttribute("class")).toContain("selected");

      // Chunk map of the selected variable: 12 references, none missing or inlined.
      const chunkmap = page.locator("#chunkmap");
      expect([await chunkmap.getAttribute("data-refs"), await chunkmap.getAttribute("data-missing"), await chunkmap.getAttribute("data-inlined")]).toEqual(["12", "0", "0"]);

      // Heatmap: every pixel has the colour the scale gives for the value `vz read --decode` reads.
      const { decoded, pixels, min, max } = await expectHeatmapMatchesCli(page, fileUrl, "tas", "0,:,:");
      expect([min, max].map((v) => Math.round(v))).toEqual([230, 310]); // kelvin
      // The coldest and warmest pixels are the ends of the scale.
      const coldest = decoded.indexOf(min);
      expect(pixels.slice(coldest * 4, coldest * 4 + 3)).toEqual([68, 1, 84]);
      const warmest = decoded.indexOf(max);
      expect(pixels.slice(warmest * 4, warmest * 4 + 3)).toEqual([253, 231, 37]);
      expect(await page.locator("#heatmap-text").textContent()).toContain("decoded with _FillValue, missing_value");

      // Download: the same bytes as `vz virtualize URL -o out.json`.
      const cliOut = join(work, "cli.kerchunk.json");
      const virtualize = await vz(["virtualize", fileUrl, "-o", cliOut]);
      expect(virtualize.code, virtualize.stderr).toBe(0);
      expect(await page.locator("#download").getAttribute("download")).toBe(`${CMIP}.kerchunk.json`);
      const pageBytes = await downloadedBytes(page, `${CMIP}.kerchunk.json`);
      const cliBytes = await readFile(cliOut);
      expect(pageBytes.length).toBeGreaterThan(1000);
      expect(pageBytes.equals(cliBytes)).toBe(true);
      const refs = (JSON.parse(pageBytes.toString("utf8")) as { refs: Record<string, unknown> }).refs;
      const [, offset, length] = refs["tas/11.0.0"] as [string, number, number];

      // Pointing at the chunk map's last column names that chunk and its byte range.
      const box = (await page.locator("#chunkmap").boundingBox())!;
      await page.mouse.move(box.x + box.width - 2, box.y + box.height / 2);
      expect(await page.locator("#chunkmap-hover").textContent()).toBe(`chunk 11.0.0: offset ${offset.toLocaleString("en")}, ${length.toLocaleString("en")} bytes`);
    } finally {
      await page.close();
    }
  });

  // Other parsers and layouts: a netCDF4 file with groups, a netCDF3 file, a GeoTIFF (its parser
  // is loaded on demand). Tree and kerchunk bytes as the CLI gives them for the same URL.
  for (const file of ["netcdf4/ATL16_prefetch_group.nc4", "netcdf3/tas_Amon_HadGEM2-ES_rcp85_r1i1p1_229912-229912.nc", "tiff/utm.tif"]) {
    it.skipIf(!existsSync(join(dataRoot, file)))(`${file}: the same variables, chunk counts and kerchunk bytes as the CLI`, async () => {
      const fileUrl = `${server.url}/data/${file}`;
      const page = await openPage(`url=${encodeURIComponent(fileUrl)}`);
      try {
        expect(await page.locator("body").getAttribute("data-state"), (await page.locator("#status").textContent()) ?? "").toBe("ready");
        const inspect = await vz(["inspect", "--json", fileUrl]);
        expect(inspect.code, inspect.stderr).toBe(0);
        const report = JSON.parse(inspect.stdout) as { parser: string; groups: { path: string }[]; arrays: { path: string; chunkCount: number }[] };
        expect(await chunkCounts(page)).toEqual(Object.fromEntries(report.arrays.map((a) => [a.path, a.chunkCount])));
        expect(await page.$$eval("tr[data-group]", (trs) => trs.map((tr) => (tr as HTMLElement).dataset.group))).toEqual(report.groups.map((g) => g.path));
        expect(await page.locator("#summary").textContent()).toContain(`parser: ${report.parser}`);
        const name = file.replaceAll("/", "_");
        const cliOut = join(work, `cli-${name}.json`);
        const virtualize = await vz(["virtualize", fileUrl, "-o", cliOut]);
        expect(virtualize.code, virtualize.stderr).toBe(0);
        const pageBytes = await downloadedBytes(page, `${name}.json`);
        expect(pageBytes.equals(await readFile(cliOut))).toBe(true);
        await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
      } finally {
        await page.close();
      }
    });
  }

  it("kerchunk references (the CLI's, of the CMIP file on this server) open in the page: same tree, same heatmap", async () => {
    const fileUrl = `${server.url}/data/netcdf4/${CMIP}`;
    const refsPath = join(work, "refs-for-page.json");
    const virtualize = await vz(["virtualize", fileUrl, "-o", refsPath]);
    expect(virtualize.code, virtualize.stderr).toBe(0);
    served["/refs/tas.kerchunk.json"] = new Uint8Array(await readFile(refsPath));
    const refsUrl = `${server.url}/refs/tas.kerchunk.json`;
    const page = await openPage(`url=${encodeURIComponent(refsUrl)}&var=tas`);
    try {
      expect(await page.locator("body").getAttribute("data-state"), (await page.locator("#status").textContent()) ?? "").toBe("ready");
      const inspect = await vz(["inspect", "--json", refsUrl]);
      expect(inspect.code, inspect.stderr).toBe(0);
      const report = JSON.parse(inspect.stdout) as { parser: string; arrays: { path: string; chunkCount: number }[] };
      expect(report.parser).toBe("kerchunk");
      expect(await page.locator("#summary").textContent()).toContain("parser: kerchunk");
      expect(await chunkCounts(page)).toEqual(Object.fromEntries(report.arrays.map((a) => [a.path, a.chunkCount])));
      // The chunks are read through the references from the netCDF4 file: the values of `vz read` on it.
      await expectHeatmapMatchesCli(page, fileUrl, "tas", "0,:,:");
      await page.screenshot({ path: join(shots, "kerchunk-refs.png"), fullPage: true });
    } finally {
      await page.close();
    }
  });

  it("selecting another variable redraws its chunk map and heatmap", async () => {
    const fileUrl = `${server.url}/data/netcdf4/${CMIP}`;
    const page = await openPage(`url=${encodeURIComponent(fileUrl)}&var=tas`);
    try {
      await page.click('tr[data-var="/lat_bnds"]');
      await page.waitForFunction(() => document.getElementById("heatmap-text")!.textContent!.startsWith("/lat_bnds"));
      await page.waitForFunction(() => document.body.dataset.state === "ready");
      expect(page.url()).toContain("var=lat_bnds");
      expect(await page.$eval("#heatmap", (c) => [(c as HTMLCanvasElement).height, (c as HTMLCanvasElement).width])).toEqual([64, 2]);
      expect(await page.locator("#chunkmap").getAttribute("data-refs")).toBe("1");
    } finally {
      await page.close();
    }
  });

  it("a slice larger than the page's limit (&side=N) is drawn with a stride, from the right values", async () => {
    const fileUrl = `${server.url}/data/netcdf4/${CMIP}`;
    const page = await openPage(`url=${encodeURIComponent(fileUrl)}&var=tas&side=32`);
    try {
      expect(await page.locator("body").getAttribute("data-state")).toBe("ready");
      // 64 x 128 with at most 32 per side: every 4th row and column, 16 x 32.
      await expectHeatmapMatchesCli(page, fileUrl, "tas", "0,::4,::4");
      expect(await page.locator("#heatmap-text").textContent()).toContain("every 4th row and column");
    } finally {
      await page.close();
    }
  });

  it("a packed int16 variable (scale_factor, add_offset) in zlib-compressed chunks is drawn decoded", async () => {
    const file = "netcdf4/f16_ssmis_20200102v7.nc";
    if (!existsSync(join(dataRoot, file))) return void console.warn(`skipped: ${file} is absent`);
    const fileUrl = `${server.url}/data/${file}`;
    const page = await openPage(`url=${encodeURIComponent(fileUrl)}&var=wind_speed&side=180`);
    try {
      expect(await page.locator("body").getAttribute("data-state"), (await page.locator("#status").textContent()) ?? "").toBe("ready");
      // 720 x 1440, at most 180 per side: every 8th row and column, decoded with the CLI's values.
      const { min, max } = await expectHeatmapMatchesCli(page, fileUrl, "wind_speed", "0,::8,::8");
      expect(min).toBeGreaterThanOrEqual(0);
      expect(max).toBeLessThanOrEqual(255 * 0.2 + 1e-6);
      expect(await page.locator("#heatmap-text").textContent()).toContain("decoded with scale_factor, add_offset");
      await page.screenshot({ path: join(shots, "ssmis-wind-speed.png"), fullPage: true });
    } finally {
      await page.close();
    }
  });

  it("a broken file shows the typed error the CLI prints", async () => {
    const brokenUrl = `${server.url}/broken/tas_broken.nc`;
    const page = await openPage(`url=${encodeURIComponent(brokenUrl)}`);
    try {
      expect(await page.locator("body").getAttribute("data-state")).toBe("error");
      const shown = (await page.locator("#status").textContent())!;
      await page.screenshot({ path: join(shots, "broken-file.png"), fullPage: true });
      const cli = await vz(["inspect", brokenUrl]);
      expect(cli.code).not.toBe(0);
      const line = cli.stderr.split("\n").find((l) => l.startsWith("vz: error ["))!;
      expect(line, cli.stderr).toBeDefined();
      expect(shown).toMatch(/^error \[[A-Z_]+\]: /);
      expect(shown).toBe(line.slice("vz: ".length));
      expect(await page.locator("tr[data-var]").count()).toBe(0);
    } finally {
      await page.close();
    }
  });

  it("a file that is not there shows the typed NOT_FOUND error", async () => {
    const page = await openPage(`url=${encodeURIComponent(`${server.url}/data/netcdf4/no-such-file.nc`)}`);
    try {
      expect(await page.locator("#status").textContent()).toMatch(/^error \[NOT_FOUND\]: .*no-such-file\.nc/);
    } finally {
      await page.close();
    }
  });

  it("opens a file from disk (File, read by byte ranges) with the same tree", async () => {
    const page = await openPage("", ["idle"]);
    await page.setInputFiles("#file", join(dataDir, CMIP));
    await page.waitForFunction(() => document.body.dataset.state === "ready", undefined, { timeout: 45_000 });
    const rows = await page.$$eval("tr[data-var]", (trs) => trs.map((tr) => [(tr as HTMLElement).dataset.var, tr.querySelector("td.chunks")!.textContent]));
    expect(rows).toContainEqual(["/tas", "12"]);
    expect(rows.length).toBe(8);
    expect(await page.locator("#summary").textContent()).toContain(`file:///${CMIP}`);
    // Byte ranges of the file, far fewer bytes than the whole file.
    const size = (await readFile(join(dataDir, CMIP))).length;
    const traffic = page.locator("#traffic");
    expect(Number(await traffic.getAttribute("data-requests"))).toBeGreaterThan(1);
    expect(Number(await traffic.getAttribute("data-bytes"))).toBeGreaterThan(0);
    expect(Number(await traffic.getAttribute("data-bytes"))).toBeLessThan(size);
    expect(await traffic.textContent()).toMatch(/^choosing the parser and parsing read \d+ byte range read\(s\), [\d,]+ bytes$/);
    await page.screenshot({ path: join(shots, "from-disk.png"), fullPage: true });
    await page.close();
  });

  /** RGB of the screen pixel at (x, y) of the page's viewport, from a 1 x 1 PNG screenshot. */
  async function screenPixel(page: Page, x: number, y: number): Promise<number[]> {
    const png = await page.screenshot({ clip: { x: Math.floor(x), y: Math.floor(y), width: 1, height: 1 } });
    const chunks: Uint8Array[] = [];
    let colorType = -1;
    for (let at = 8; at < png.length; ) {
      const length = png.readUInt32BE(at);
      const type = png.toString("latin1", at + 4, at + 8);
      if (type === "IHDR") colorType = png[at + 8 + 9]!;
      if (type === "IDAT") chunks.push(png.subarray(at + 8, at + 8 + length));
      at += 12 + length;
    }
    // One row of one pixel: the filter byte, then the pixel (no filter changes a lone first pixel).
    const row = unzlibSync(Buffer.concat(chunks));
    expect([2, 6]).toContain(colorType);
    return [...row.subarray(1, 4)];
  }

  /** Moves the pointer to the centre of slice pixel (row, col) of the heatmap (rows drawn flipped when they ascend). */
  async function hoverPixel(page: Page, row: number, col: number): Promise<{ index: string; value: string; text: string }> {
    const { rows, cols, flipped } = await page.$eval("#heatmap", (c) => ({
      rows: (c as HTMLCanvasElement).height,
      cols: (c as HTMLCanvasElement).width,
      flipped: c.classList.contains("flipped"),
    }));
    await page.locator("#heatmap").scrollIntoViewIfNeeded();
    const box = (await page.locator("#heatmap").boundingBox())!;
    const screenRow = flipped ? rows - 1 - row : row;
    const x = box.x + ((col + 0.5) * box.width) / cols;
    const y = box.y + ((screenRow + 0.5) * box.height) / rows;
    await page.mouse.move(x, y);
    const hover = page.locator("#heatmap-hover");
    // The pixel on the screen under the pointer is that value's colour (the drawing is not flipped twice).
    const value = (await hover.getAttribute("data-value"))!;
    if (Number.isFinite(Number(value))) {
      const min = Number(await page.locator("#heatmap").getAttribute("data-min"));
      const max = Number(await page.locator("#heatmap").getAttribute("data-max"));
      expect(await screenPixel(page, x, y)).toEqual(colorFor(Number(value), min, max).slice(0, 3));
    }
    return { index: (await hover.getAttribute("data-index"))!, value, text: (await hover.textContent())! };
  }

  it("a slider per leading dimension redraws the slice at index k; the value under the cursor is netCDF4's", async () => {
    const fileUrl = `${server.url}/data/netcdf4/${CMIP}`;
    const page = await openPage(`url=${encodeURIComponent(fileUrl)}&var=tas`);
    try {
      expect(await page.locator("body").getAttribute("data-state")).toBe("ready");
      // tas (time, lat, lon): one slider, for time (12 steps).
      expect(await page.locator("#slice-controls label").count()).toBe(1);
      expect(await page.locator("#slice-controls input.index-range").getAttribute("max")).toBe("11");
      const k = 7;
      await page.locator("#slice-controls input.index-range").fill(String(k));
      await page.waitForFunction((slice) => document.getElementById("heatmap")!.dataset.slice === slice && document.body.dataset.state === "ready", `${k},:,:`);
      expect(await page.locator("#slice-controls input.index-number").inputValue()).toBe(String(k));
      expect(page.url()).toContain(`index=${k}`);
      // Every pixel against `vz read --decode` of slice k.
      const { decoded } = await expectHeatmapMatchesCli(page, fileUrl, "tas", `${k},:,:`);
      // The time coordinate at index k, as netCDF4 reads it.
      const oracle = (await netcdf4Oracle(
        join(dataDir, CMIP),
        [
          "k, cells = args['k'], args['cells']",
          "tas = d['tas'][k]",
          "out = {'time': float(d['time'][k]), 'units': d['time'].units,",
          "  'date': netCDF4.num2date(d['time'][k], d['time'].units, getattr(d['time'], 'calendar', 'standard')).isoformat(),",
          "  'cells': [[float(d['lat'][r]), float(d['lon'][c]), None if numpy.ma.is_masked(tas[r, c]) else float(tas[r, c])] for r, c in cells]}",
        ].join("\n"),
        { k, cells: [[10, 100], [63, 0], [0, 127], [31, 64]] },
      )) as { time: number; units: string; date: string; cells: [number, number, number | null][] };
      const output = page.locator("#slice-controls output.coordinate");
      expect(Number(await output.getAttribute("data-value"))).toBe(oracle.time);
      // The date in the file's calendar, as cftime gives it (num2date(...).isoformat()).
      expect(await output.textContent()).toBe(`time = ${oracle.date} (${oracle.time} ${oracle.units})`);
      // The value under the cursor: indices, coordinates and the decoded value of netCDF4 (and of vz read).
      for (const [n, [row, col]] of [[10, 100], [63, 0], [0, 127], [31, 64]].entries()) {
        const [lat, lon, value] = oracle.cells[n]!;
        const shown = await hoverPixel(page, row!, col!);
        expect(shown.index).toBe(`${k},${row},${col}`);
        expect(value).not.toBeNull();
        expect(Number(shown.value)).toBe(value);
        expect(Number(shown.value)).toBe(decoded[row! * 128 + col!]);
        expect(shown.text).toBe(`/tas[${k}, ${row}, ${col}] (lat = ${lat}, lon = ${lon}): ${value} K`);
      }
      // The number input moves the slider too.
      await page.locator("#slice-controls input.index-number").fill("11");
      await page.locator("#slice-controls input.index-number").dispatchEvent("change");
      await page.waitForFunction(() => document.getElementById("heatmap")!.dataset.slice === "11,:,:" && document.body.dataset.state === "ready");
      expect(await page.locator("#slice-controls input.index-range").inputValue()).toBe("11");
      await expectHeatmapMatchesCli(page, fileUrl, "tas", "11,:,:");
      // Dragging: several moves while a read is under way end with the last index drawn.
      for (const i of [2, 3, 4, 5, 9]) await page.locator("#slice-controls input.index-range").fill(String(i));
      await page.waitForFunction(() => document.getElementById("heatmap")!.dataset.slice === "9,:,:" && document.body.dataset.state === "ready");
      // No older answer is drawn over it later.
      await page.waitForTimeout(300);
      expect(await page.locator("#heatmap").getAttribute("data-slice")).toBe("9,:,:");
      await expectHeatmapMatchesCli(page, fileUrl, "tas", "9,:,:");
      // Back to k for the README's screenshot, the pointer on a pixel.
      await page.locator("#slice-controls input.index-range").fill(String(k));
      await page.waitForFunction((slice) => document.getElementById("heatmap")!.dataset.slice === slice && document.body.dataset.state === "ready", `${k},:,:`);
      // The whole page in the viewport (a full-page screenshot would move the pointer off the heatmap).
      await page.setViewportSize({ width: 1400, height: Math.ceil(await page.evaluate(() => document.documentElement.scrollHeight)) + 40 });
      const hovered = await hoverPixel(page, 10, 100);
      expect(await page.locator("#heatmap-hover").textContent()).toBe(hovered.text);
      await page.screenshot({ path: join(shots, "cmip-tas-slider.png") });
      if (docsScreenshot) await page.screenshot({ path: docsScreenshot });
    } finally {
      await page.close();
    }
  });

  it("&index=k opens at slice k; under the cursor a fill value is marked missing and a stored NaN is marked NaN", async () => {
    // A small netCDF4 file written by the netCDF4 library: float32 (t, y, x) with _FillValue -999,
    // masked cells and a NaN at t = 2, ascending y (drawn flipped) and x coordinates.
    const file = join(work, "fills.nc");
    await run(PYTHON, [
      "-c",
      [
        "import sys, netCDF4, numpy",
        "d = netCDF4.Dataset(sys.argv[1], 'w', format='NETCDF4')",
        "for n, size in (('t', 3), ('y', 4), ('x', 5)): d.createDimension(n, size)",
        "d.createVariable('y', 'f8', ('y',))[:] = [10.0, 20.0, 30.0, 40.0]",
        "d.createVariable('x', 'f8', ('x',))[:] = [-2.5, -1.5, -0.5, 0.5, 1.5]",
        "v = d.createVariable('v', 'f4', ('t', 'y', 'x'), fill_value=-999.0, zlib=True, chunksizes=(1, 2, 5))",
        "v.units = 'K'",
        "a = numpy.arange(60, dtype='f4').reshape(3, 4, 5) / 7",
        "a[2, 1, 3] = -999.0",
        "a[2, 0, 0] = numpy.nan",
        "v[:] = a",
        "d.close()",
      ].join("\n"),
      file,
    ]);
    served["/gen/fills.nc"] = new Uint8Array(await readFile(file));
    const fileUrl = `${server.url}/gen/fills.nc`;
    const page = await openPage(`url=${encodeURIComponent(fileUrl)}&var=v&index=2`);
    try {
      expect(await page.locator("body").getAttribute("data-state"), (await page.locator("#status").textContent()) ?? "").toBe("ready");
      expect(await page.locator("#slice-controls input.index-range").inputValue()).toBe("2");
      expect(await page.locator("#heatmap").getAttribute("class")).toContain("flipped");
      const { decoded } = await expectHeatmapMatchesCli(page, fileUrl, "v", "2,:,:");
      const cells = [[1, 3], [0, 0], [3, 4], [2, 1]];
      const oracle = (await netcdf4Oracle(
        file,
        [
          "v = d['v']",
          "out = [{'y': float(d['y'][r]), 'x': float(d['x'][c]), 'masked': bool(numpy.ma.is_masked(v[2, r, c])),",
          "  'value': None if numpy.ma.is_masked(v[2, r, c]) or numpy.isnan(v[2, r, c]) else float(v[2, r, c]),",
          "  'nan': bool(not numpy.ma.is_masked(v[2, r, c]) and numpy.isnan(v[2, r, c]))} for r, c in args]",
        ].join("\n"),
        cells,
      )) as { y: number; x: number; masked: boolean; value: number | null; nan: boolean }[];
      expect(oracle.map((o) => [o.masked, o.nan])).toEqual([[true, false], [false, true], [false, false], [false, false]]);
      for (const [n, [row, col]] of cells.entries()) {
        const want = oracle[n]!;
        const shown = await hoverPixel(page, row!, col!);
        expect(shown.index).toBe(`2,${row},${col}`);
        const value = want.masked ? "missing (fill value)" : want.nan ? "NaN" : `${want.value} K`;
        expect(shown.text).toBe(`/v[2, ${row}, ${col}] (y = ${want.y}, x = ${want.x}): ${value}`);
        expect(shown.value).toBe(want.masked ? "missing" : want.nan ? "NaN" : String(want.value));
        if (want.value !== null) expect(Number(shown.value)).toBe(decoded[row! * 5 + col!]);
      }
    } finally {
      await page.close();
    }
  });

  it("the Parquet download is a zip of the directory `vz virtualize --format parquet` writes, byte for byte, and vz reads it", async () => {
    const fileUrl = `${server.url}/data/netcdf4/${CMIP}`;
    const page = await openPage(`url=${encodeURIComponent(fileUrl)}&var=tas`);
    try {
      expect(await page.locator("body").getAttribute("data-state")).toBe("ready");
      const zip = await downloadedBytes(page, `${CMIP}.parq.zip`, "#download-parquet");
      const entries = unzipSync(new Uint8Array(zip));
      const cliDir = join(work, "cli.parq");
      const virtualize = await vz(["virtualize", fileUrl, "-o", cliDir, "--format", "parquet"]);
      expect(virtualize.code, virtualize.stderr).toBe(0);
      const cliFiles = await filesUnder(cliDir);
      const pageFiles = new Map(Object.entries(entries).map(([name, bytes]) => [name, Buffer.from(bytes)] as const));
      // Every entry lies under the folder "<file>.parq/"; the same file names and bytes as the CLI's.
      expect([...pageFiles.keys()].every((name) => name.startsWith(`${CMIP}.parq/`))).toBe(true);
      const relative = new Map([...pageFiles].map(([name, bytes]) => [name.slice(`${CMIP}.parq/`.length), bytes] as const));
      expect([...relative.keys()].sort()).toEqual([...cliFiles.keys()].sort());
      expect(relative.size).toBe(9); // .zmetadata and one refs.0.parq per variable
      for (const [name, bytes] of cliFiles) expect(relative.get(name)!.equals(bytes), name).toBe(true);
      expect(await page.locator("#download-parquet-status").textContent()).toBe(`${CMIP}.parq.zip: 9 file(s), ${zip.length.toLocaleString("en")} bytes`);
      // vz opens the unzipped directory: the values of the file itself.
      const unzipped = join(work, "unzipped");
      for (const [name, bytes] of pageFiles) {
        await mkdir(join(unzipped, name, ".."), { recursive: true });
        await writeFile(join(unzipped, name), bytes);
      }
      const fromRefs = await vz(["read", join(unzipped, `${CMIP}.parq`), "--var", "tas", "--slice", "5,:,:", "--decode", "--json", "--allow", `${server.url}/`]);
      expect(fromRefs.code, fromRefs.stderr).toBe(0);
      const direct = await vz(["read", fileUrl, "--var", "tas", "--slice", "5,:,:", "--decode", "--json"]);
      expect(direct.code, direct.stderr).toBe(0);
      const a = JSON.parse(fromRefs.stdout) as { shape: number[]; values: unknown[] };
      const b = JSON.parse(direct.stdout) as { shape: number[]; values: unknown[] };
      expect(a.shape).toEqual([64, 128]);
      expect(a.values).toEqual(b.values);
    } finally {
      await page.close();
    }
    // A file with groups: one folder per variable of every group, the CLI's bytes.
    const groups = "netcdf4/ATL16_prefetch_group.nc4";
    if (!existsSync(join(dataRoot, groups))) return void console.warn(`skipped: ${groups} is absent`);
    const groupsUrl = `${server.url}/data/${groups}`;
    const groupsPage = await openPage(`url=${encodeURIComponent(groupsUrl)}`);
    try {
      expect(await groupsPage.locator("body").getAttribute("data-state")).toBe("ready");
      const zip = unzipSync(new Uint8Array(await downloadedBytes(groupsPage, "ATL16.parq.zip", "#download-parquet")));
      const cliDir = join(work, "cli-groups.parq");
      const virtualize = await vz(["virtualize", groupsUrl, "-o", cliDir, "--format", "parquet"]);
      expect(virtualize.code, virtualize.stderr).toBe(0);
      const cliFiles = await filesUnder(cliDir);
      const prefix = "ATL16_prefetch_group.nc4.parq/";
      const pageFiles = new Map(Object.entries(zip).map(([name, bytes]) => [name.slice(prefix.length), Buffer.from(bytes)] as const));
      expect([...pageFiles.keys()].sort()).toEqual([...cliFiles.keys()].sort());
      expect([...cliFiles.keys()].some((name) => name.split("/").length > 2)).toBe(true); // group/var/refs.0.parq
      for (const [name, bytes] of cliFiles) expect(pageFiles.get(name)!.equals(bytes), name).toBe(true);
    } finally {
      await groupsPage.close();
    }
  });

  it("shows the requests and bytes the parse and the slice read: the server's log of the same requests", async () => {
    const path = `/data/netcdf4/${CMIP}`;
    const fileUrl = `${server.url}${path}`;
    const from = server.log.length;
    const page = await openPage(`url=${encodeURIComponent(fileUrl)}&var=tas`);
    try {
      expect(await page.locator("body").getAttribute("data-state")).toBe("ready");
      const log = server.log.slice(from).filter((entry) => entry.path === path);
      const parse = page.locator("#traffic");
      const heatmap = page.locator("#heatmap");
      const parseRequests = Number(await parse.getAttribute("data-requests"));
      const sliceRequests = Number(await heatmap.getAttribute("data-requests"));
      expect(parseRequests).toBeGreaterThan(0);
      expect(sliceRequests).toBeGreaterThan(0);
      // Nothing else reads the file: the parse's and the slice's requests are every request the server saw.
      expect(parseRequests + sliceRequests).toBe(log.length);
      expect(Number(await parse.getAttribute("data-heads"))).toBe(log.filter((e) => e.method === "HEAD").length);
      expect(Number(await parse.getAttribute("data-bytes")) + Number(await heatmap.getAttribute("data-bytes"))).toBe(log.reduce((sum, e) => sum + e.bytes, 0));
      // The parse's requests come first.
      const parseBytes = log.slice(0, parseRequests).reduce((sum, e) => sum + e.bytes, 0);
      expect(Number(await parse.getAttribute("data-bytes"))).toBe(parseBytes);
      expect(await parse.textContent()).toBe(
        `choosing the parser and parsing read ${parseRequests} HTTP request(s) (${await parse.getAttribute("data-heads")} HEAD), ${parseBytes.toLocaleString("en")} bytes`,
      );
    } finally {
      await page.close();
    }
  });

  it("choosing the parser loads only its code: a netCDF4 file loads no TIFF, kerchunk, Zarr or DMR++ chunk", async () => {
    const lazy = ["tiff", "kerchunk", "zarr", "dmrpp"];
    const assets = await readdir(join(dist, "assets"));
    // The chunks exist (named after their parser), so not seeing them means they were not loaded.
    for (const name of lazy) expect(assets.filter((f) => f.startsWith(`parser-${name}-`) && f.endsWith(".js")), name).toHaveLength(1);
    const loaded = async (query: string): Promise<string[]> => {
      const scripts: string[] = [];
      const page = await openPage(query, ["ready", "error"], (p) =>
        p.on("request", (request) => {
          const name = new URL(request.url()).pathname.split("/").pop()!;
          if (name.endsWith(".js")) scripts.push(name);
        }),
      );
      try {
        expect(await page.locator("body").getAttribute("data-state"), (await page.locator("#status").textContent()) ?? "").toBe("ready");
        return scripts;
      } finally {
        await page.close();
      }
    };
    /** The parsers whose chunks were loaded ("parser-tiff-<hash>.js" → "tiff"). */
    const parserChunks = (scripts: string[]): string[] => scripts.flatMap((f) => /^parser-([a-z0-9]+)-/.exec(f)?.[1] ?? []);
    const netcdf4 = await loaded(`url=${encodeURIComponent(`${server.url}/data/netcdf4/${CMIP}`)}&var=tas`);
    expect(netcdf4.some((f) => f.startsWith("worker-"))).toBe(true);
    expect(parserChunks(netcdf4)).toEqual([]);
    expect(netcdf4.filter((f) => f.startsWith("parquet-worker-"))).toEqual([]);
    // The others load their own parser's chunk, and only it.
    const tiffFile = "tiff/utm.tif";
    if (existsSync(join(dataRoot, tiffFile))) {
      const tiff = await loaded(`url=${encodeURIComponent(`${server.url}/data/${tiffFile}`)}`);
      expect(parserChunks(tiff)).toEqual(["tiff"]);
    }
    const refsPath = join(work, "refs-for-sniff.json");
    const virtualize = await vz(["virtualize", `${server.url}/data/netcdf4/${CMIP}`, "-o", refsPath]);
    expect(virtualize.code, virtualize.stderr).toBe(0);
    served["/refs/sniff.kerchunk.json"] = new Uint8Array(await readFile(refsPath));
    const kerchunk = await loaded(`url=${encodeURIComponent(`${server.url}/refs/sniff.kerchunk.json`)}&var=tas`);
    expect(parserChunks(kerchunk)).toEqual(["kerchunk"]);
  });

  it("bundle size: the JavaScript the page loads first (core + HDF5 + netCDF3 parsers), gzipped, is at most 300 KB", async () => {
    const assets = join(dist, "assets");
    const html = await readFile(join(dist, "index.html"), "utf8");
    const entry = /src="\.\/assets\/([^"]+\.js)"/.exec(html)![1]!;
    const entryCode = await readFile(join(assets, entry), "utf8");
    // The parsing worker (the Parquet worker, started only for that download, is not loaded first).
    const worker = /(?<![\w-])(worker-[\w-]+\.js)/.exec(entryCode)![1]!;
    expect(entryCode).toMatch(/parquet-worker-[\w-]+\.js/);
    // Files loaded at start: the entry, the worker and the worker's static imports (not its dynamic ones).
    const initial = new Set([entry, worker]);
    for (const file of initial) {
      const code = await readFile(join(assets, file), "utf8");
      for (const match of code.matchAll(/(?:^|[;}])\s*import\s*(?:[\w*{}\s,$]+from\s*)?["']\.\/([\w.-]+\.js)["']/g)) initial.add(match[1]!);
    }
    let initialBytes = 0;
    let lazyBytes = 0;
    for (const file of (await readdir(assets)).filter((f) => f.endsWith(".js"))) {
      const gz = gzipSync(await readFile(join(assets, file)), { level: 9 }).length;
      if (initial.has(file)) initialBytes += gz;
      else lazyBytes += gz;
    }
    console.log(
      `bundle size (apps/web dist): ${(initialBytes / 1024).toFixed(1)} KB gzipped loaded first (${[...initial].join(", ")}), ` +
        `${(lazyBytes / 1024).toFixed(1)} KB gzipped in chunks loaded on demand (other parsers, wasm codecs, the Parquet worker)`,
    );
    expect(initialBytes).toBeGreaterThan(20 * 1024);
    expect(initialBytes).toBeLessThanOrEqual(300 * 1024);
  });
});
