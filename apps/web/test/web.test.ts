/**
 * The inspector page in a real browser: the page is built with Vite, served with real netCDF4
 * files from 127.0.0.1, and driven in headless Chromium (playwright-core, Debian's /usr/bin/chromium).
 * What the page shows is compared with what the `vz` CLI says about the same URL.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
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

  async function openPage(query: string, settled: readonly string[] = ["ready", "error"]): Promise<Page> {
    const page = await browser.newPage({ acceptDownloads: true, viewport: { width: 1400, height: 1000 } });
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(error.message));
    await page.goto(`${server.url}/index.html?${query}`);
    await page.waitForFunction((states) => states.includes(document.body.dataset.state ?? ""), settled, { timeout: 45_000 });
    expect(problems).toEqual([]);
    return page;
  }

  /** Clicks the download link and returns the bytes the browser saved. */
  async function downloadedBytes(page: Page, name: string): Promise<Buffer> {
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
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
    await page.screenshot({ path: join(shots, "from-disk.png"), fullPage: true });
    await page.close();
  });

  it("bundle size: the JavaScript the page loads first (core + HDF5 + netCDF3 parsers), gzipped, is at most 300 KB", async () => {
    const assets = join(dist, "assets");
    const html = await readFile(join(dist, "index.html"), "utf8");
    const entry = /src="\.\/assets\/([^"]+\.js)"/.exec(html)![1]!;
    const entryCode = await readFile(join(assets, entry), "utf8");
    const worker = /(worker-[\w-]+\.js)/.exec(entryCode)![1]!;
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
        `${(lazyBytes / 1024).toFixed(1)} KB gzipped in chunks loaded on demand (other parsers, wasm codecs)`,
    );
    expect(initialBytes).toBeGreaterThan(20 * 1024);
    expect(initialBytes).toBeLessThanOrEqual(300 * 1024);
  });
});
