/**
 * The inspector page: open a file by URL (`?url=`) or from disk, list its groups and variables,
 * draw the selected variable's chunk map and a heatmap of a 2-D slice, offer the kerchunk JSON.
 * Parsing and reading happen in a Web Worker (src/worker.ts).
 * @module
 */
import { colorFor, finiteRange } from "./colors.js";
import type { ChunkLayout, FileInfo, Slice2D, VariableInfo } from "./inspector.js";
import type { ParquetRequest, ParquetResponse } from "./parquet-worker.js";
import type { TrafficCount } from "./traffic.js";
import type { Request, Response, Results } from "./protocol.js";

type RequestBody = Request extends infer R ? (R extends { id: number } ? Omit<R, "id"> : never) : never;

const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
let nextId = 1;
worker.onmessage = (event: MessageEvent<Response>) => {
  const answer = event.data;
  const waiter = pending.get(answer.id);
  if (!waiter) return;
  pending.delete(answer.id);
  if (answer.ok) waiter.resolve(answer.result);
  else waiter.reject(new Error(answer.error));
};
worker.onerror = (event) => {
  for (const waiter of pending.values()) waiter.reject(new Error(`error: the worker failed: ${event.message}`));
  pending.clear();
};

function call<T extends Request["type"]>(body: Extract<RequestBody, { type: T }>): Promise<Results[T]> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
    worker.postMessage({ ...body, id });
  });
}

const $ = <E extends HTMLElement>(id: string): E => document.getElementById(id) as E;
const status = $<HTMLDivElement>("status");
const summary = $<HTMLDivElement>("summary");
const treeBody = $<HTMLTableSectionElement>("tree-body");
const chunkCanvas = $<HTMLCanvasElement>("chunkmap");
const chunkText = $<HTMLParagraphElement>("chunkmap-text");
const chunkHover = $<HTMLParagraphElement>("chunkmap-hover");
const heatCanvas = $<HTMLCanvasElement>("heatmap");
const heatText = $<HTMLParagraphElement>("heatmap-text");
const scaleCanvas = $<HTMLCanvasElement>("colorbar");
const scaleMin = $<HTMLSpanElement>("scale-min");
const scaleMax = $<HTMLSpanElement>("scale-max");
const download = $<HTMLAnchorElement>("download");
const downloadParquet = $<HTMLButtonElement>("download-parquet");
const parquetStatus = $<HTMLSpanElement>("download-parquet-status");
const trafficText = $<HTMLParagraphElement>("traffic");
const sliceControls = $<HTMLDivElement>("slice-controls");
const heatHover = $<HTMLParagraphElement>("heatmap-hover");
const urlInput = $<HTMLInputElement>("url");

/** `&side=N`: the largest side of a drawn slice (default 2048); a larger slice is read with a stride. */
const maxSide = Number(new URLSearchParams(location.search).get("side")) || undefined;
let opened: FileInfo | undefined;
/** Bumped by every open: answers for an earlier file are dropped. */
let generation = 0;
let layout: ChunkLayout | undefined;
let selected: string | undefined;
let downloadUrl: string | undefined;
/** The slice drawn now (for the value under the cursor). */
let drawn: Slice2D | undefined;
/** Bumped by every slice request: only the latest answer is drawn. */
let sliceRequest = 0;
/** `&index=i,j`: the indices of the leading dimensions to draw first. */
let initialIndex = (new URLSearchParams(location.search).get("index") ?? "")
  .split(",")
  .filter((t) => t !== "")
  .map(Number);

function showError(text: string): void {
  status.textContent = text;
  status.className = "error";
  document.body.dataset.state = "error";
}

function showStatus(text: string): void {
  status.textContent = text;
  status.className = "";
}

function format(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

function variables(info: FileInfo): VariableInfo[] {
  return info.groups.flatMap((g) => g.variables);
}

function cell(row: HTMLTableRowElement, text: string, className?: string): HTMLTableCellElement {
  const td = row.insertCell();
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

/** "12 requests (1 HEAD), 34,567 bytes" (byte ranges instead of requests for a file from disk). */
function trafficSummary(count: TrafficCount, local: boolean): string {
  const what = local ? "byte range read(s)" : `HTTP request(s) (${count.heads} HEAD)`;
  return `${count.requests} ${what}, ${count.bytes.toLocaleString("en")} bytes`;
}

function renderTraffic(info: FileInfo): void {
  const local = info.url.startsWith("file:");
  trafficText.textContent = `choosing the parser and parsing read ${trafficSummary(info.traffic, local)}`;
  trafficText.dataset.requests = String(info.traffic.requests);
  trafficText.dataset.heads = String(info.traffic.heads);
  trafficText.dataset.bytes = String(info.traffic.bytes);
}

function renderTree(info: FileInfo): void {
  summary.textContent = `${info.url} — parser: ${info.parser} (${info.reason}); ${info.groups.length} group(s), ${info.variableCount} variable(s), ${info.chunkCount} chunk reference(s) in the kerchunk JSON`;
  if (info.skipped.length) summary.textContent += `; skipped: ${info.skipped.join("; ")}`;
  treeBody.replaceChildren();
  for (const group of info.groups) {
    const head = treeBody.insertRow();
    head.className = "group";
    head.dataset.group = group.path;
    const th = head.insertCell();
    th.colSpan = 8;
    th.innerHTML = "";
    const title = document.createElement("strong");
    title.textContent = `group ${group.path}`;
    th.append(title, attributesDetails(group.attributes));
    for (const variable of group.variables) {
      const row = treeBody.insertRow();
      row.dataset.var = variable.path;
      row.tabIndex = 0;
      cell(row, variable.path, "name");
      cell(row, `(${variable.dims.map((d) => d ?? "?").join(", ")})`, "dims");
      cell(row, variable.dtype, "dtype");
      cell(row, `(${variable.shape.join(", ")})`, "shape");
      cell(row, `(${variable.chunks.join(", ")})`, "chunk-shape");
      cell(row, variable.codecs.join(", "), "codecs");
      const count = cell(row, String(variable.chunkCount), "chunks");
      count.title = `${variable.chunkCount} chunk reference(s) of ${variable.gridSize} grid cells`;
      row.insertCell().append(attributesDetails(variable.attributes));
      const choose = (): void => void select(variable.path);
      row.addEventListener("click", choose);
      row.addEventListener("keydown", (event) => {
        if (event.key === "Enter") choose();
      });
    }
  }
}

function attributesDetails(attributes: Record<string, unknown>): HTMLElement {
  const details = document.createElement("details");
  const names = Object.keys(attributes);
  const label = document.createElement("summary");
  label.textContent = `${names.length} attribute(s)`;
  const list = document.createElement("dl");
  for (const name of names) {
    const dt = document.createElement("dt");
    dt.textContent = name;
    const dd = document.createElement("dd");
    dd.textContent = format(attributes[name]);
    list.append(dt, dd);
  }
  details.append(label, list);
  return details;
}

/** Chunk map: one column per chunk (C order), its byte range as a bar against the file's offsets. */
function drawChunkMap(chunks: ChunkLayout): void {
  layout = chunks;
  const n = chunks.kinds.length;
  const width = Math.max(200, Math.min(1200, n * 4));
  const height = 160;
  chunkCanvas.width = width;
  chunkCanvas.height = height;
  const ctx = chunkCanvas.getContext("2d")!;
  ctx.clearRect(0, 0, width, height);
  let top = 0;
  let refs = 0;
  let missing = 0;
  let inlined = 0;
  for (let i = 0; i < n; i++) {
    if (chunks.kinds[i] === 1) top = Math.max(top, chunks.offsets[i]! + chunks.lengths[i]!);
  }
  const plot = height - 12; // bottom strip: missing / inlined marks
  for (let i = 0; i < n; i++) {
    const x0 = Math.floor((i / n) * width);
    const x1 = Math.max(x0 + 1, Math.floor(((i + 1) / n) * width));
    if (chunks.kinds[i] === 1) {
      refs++;
      const y0 = plot - (chunks.offsets[i]! / Math.max(1, top)) * plot;
      const y1 = plot - ((chunks.offsets[i]! + chunks.lengths[i]!) / Math.max(1, top)) * plot;
      ctx.fillStyle = "#2c718e";
      ctx.fillRect(x0, Math.floor(y1), x1 - x0, Math.max(1, Math.ceil(y0 - y1)));
    } else if (chunks.kinds[i] === 2) {
      inlined++;
      ctx.fillStyle = "#e69f00";
      ctx.fillRect(x0, height - 10, x1 - x0, 10);
    } else {
      missing++;
      ctx.fillStyle = "#d62728";
      ctx.fillRect(x0, height - 10, x1 - x0, 10);
    }
  }
  chunkCanvas.dataset.refs = String(refs);
  chunkCanvas.dataset.missing = String(missing);
  chunkCanvas.dataset.inlined = String(inlined);
  chunkText.textContent =
    `${chunks.path}: chunk grid (${chunks.gridShape.join(", ")}), ${refs} reference(s), ${missing} missing (red), ${inlined} inlined (orange); ` +
    `offsets up to ${top.toLocaleString("en")} bytes in ${chunks.urls.length} file(s); x: chunk index (C order), y: byte offset`;
}

function drawColorbar(min: number, max: number): void {
  const width = 256;
  scaleCanvas.width = width;
  scaleCanvas.height = 12;
  const ctx = scaleCanvas.getContext("2d")!;
  const image = ctx.createImageData(width, 12);
  for (let x = 0; x < width; x++) {
    const [r, g, b] = colorFor(min + ((max - min) * x) / (width - 1), min, max);
    for (let y = 0; y < 12; y++) image.data.set([r, g, b, 255], (y * width + x) * 4);
  }
  ctx.putImageData(image, 0, 0);
  scaleMin.textContent = Number.isFinite(min) ? min.toPrecision(6) : "–";
  scaleMax.textContent = Number.isFinite(max) ? max.toPrecision(6) : "–";
}

/** Heatmap: canvas pixel (x, y) is value [y][x] of the slice (rows flipped on screen by CSS when they ascend). */
function drawHeatmap(slice: Slice2D): void {
  const { rows, cols, values } = slice;
  heatCanvas.width = cols;
  heatCanvas.height = rows;
  const ctx = heatCanvas.getContext("2d")!;
  const image = ctx.createImageData(cols, rows);
  const { min, max } = finiteRange(values);
  for (let i = 0; i < values.length; i++) image.data.set(colorFor(values[i]!, min, max), i * 4);
  ctx.putImageData(image, 0, 0);
  const scale = Math.max(1, Math.floor(640 / Math.max(cols, rows)));
  heatCanvas.style.width = `${cols * scale}px`;
  heatCanvas.style.height = `${rows * scale}px`;
  heatCanvas.classList.toggle("flipped", slice.rowsAscend);
  heatCanvas.dataset.min = String(min);
  heatCanvas.dataset.max = String(max);
  heatCanvas.dataset.slice = slice.slice;
  heatCanvas.dataset.requests = String(slice.traffic.requests);
  heatCanvas.dataset.bytes = String(slice.traffic.bytes);
  drawn = slice;
  heatHover.textContent = "";
  delete heatHover.dataset.value;
  delete heatHover.dataset.index;
  showLeading(slice);
  drawColorbar(min, max);
  heatText.textContent =
    `${slice.path}[${slice.slice}]: ${rows} × ${cols} (${slice.rowDim ?? "?"} × ${slice.colDim ?? "?"})` +
    (slice.step > 1 ? `, every ${slice.step}th row and column` : "") +
    (slice.units ? `, ${slice.units}` : "") +
    (slice.applied.length ? `; decoded with ${slice.applied.join(", ")} (missing values transparent)` : "; no CF packing attributes") +
    `; read ${trafficSummary(slice.traffic, opened?.url.startsWith("file:") === true)}`;
}

/** A number as the page shows values: every digit JavaScript needs to give the same double back. */
function showNumber(value: number): string {
  return String(value);
}

/** Sliders (range + number) for the leading dimensions of `variable`, at `index`. */
function buildSliders(variable: VariableInfo, index: readonly number[]): void {
  sliceControls.replaceChildren();
  const lead = Math.max(0, variable.shape.length - 2);
  for (let d = 0; d < lead; d++) {
    const size = variable.shape[d]!;
    const label = document.createElement("label");
    label.dataset.dim = String(d);
    const name = document.createElement("span");
    name.textContent = `${variable.dims[d] ?? `dim ${d}`} (0…${size - 1})`;
    const range = document.createElement("input");
    range.type = "range";
    const number = document.createElement("input");
    number.type = "number";
    for (const input of [range, number]) {
      input.min = "0";
      input.max = String(size - 1);
      input.step = "1";
      input.value = String(Math.min(size - 1, Math.max(0, index[d] ?? 0)));
      input.dataset.dim = String(d);
    }
    range.className = "index-range";
    number.className = "index-number";
    const coordinate = document.createElement("output");
    coordinate.className = "coordinate";
    const changed = (from: HTMLInputElement, to: HTMLInputElement): void => {
      const value = Number(from.value);
      if (!Number.isInteger(value) || value < 0 || value >= size) return;
      to.value = from.value;
      void redrawSlice(variable.path);
    };
    range.addEventListener("input", () => changed(range, number));
    number.addEventListener("change", () => changed(number, range));
    label.append(name, range, number, coordinate);
    sliceControls.append(label);
  }
}

/** The leading indices the sliders are at. */
function sliderIndex(): number[] {
  return [...sliceControls.querySelectorAll<HTMLInputElement>("input.index-number")].map((input) => Number(input.value));
}

/** Shows the coordinate value at each leading index of the drawn slice. */
function showLeading(slice: Slice2D): void {
  for (const [d, lead] of slice.leading.entries()) {
    const output = sliceControls.querySelector<HTMLOutputElement>(`label[data-dim="${d}"] output.coordinate`);
    if (!output) continue;
    output.textContent = lead.coordinate
      ? lead.coordinate.date
        ? `${lead.coordinate.path.slice(1)} = ${lead.coordinate.date} (${showNumber(lead.coordinate.value)} ${lead.coordinate.units})`
        : `${lead.coordinate.path.slice(1)} = ${showNumber(lead.coordinate.value)}${lead.coordinate.units ? ` ${lead.coordinate.units}` : ""}`
      : `index ${lead.index} (no coordinate variable)`;
    output.dataset.value = lead.coordinate ? String(lead.coordinate.value) : "";
  }
}

/** A slider's slice read is under way (for `redrawSlice`'s path); `sliceAgain`: the sliders moved meanwhile. */
let sliceBusy: string | undefined;
let sliceAgain = false;

/**
 * Reads and draws the slice at the sliders' indices. While a read is under way, moves only mark
 * the sliders dirty and one more read follows for where they are then (dragging a slider does
 * not queue a read per step); an answer for an older selection is dropped.
 */
async function redrawSlice(path: string): Promise<void> {
  if (sliceBusy === path) {
    sliceAgain = true;
    return;
  }
  sliceBusy = path;
  const mine = ++sliceRequest;
  const index = sliderIndex();
  const params = new URLSearchParams(location.search);
  if (index.length) params.set("index", index.join(","));
  else params.delete("index");
  history.replaceState(null, "", `?${params}`);
  document.body.dataset.state = "reading";
  try {
    const slice = await call({ type: "slice", path, index, ...(maxSide ? { maxSide } : {}) });
    if (mine !== sliceRequest || selected !== path) return;
    heatCanvas.hidden = false;
    drawHeatmap(slice);
    if (!sliceAgain) document.body.dataset.state = "ready";
  } catch (error) {
    if (mine !== sliceRequest || selected !== path) return;
    showError((error as Error).message);
  } finally {
    if (sliceBusy === path) sliceBusy = undefined;
    if (sliceAgain) {
      sliceAgain = false;
      if (selected === path) void redrawSlice(path);
    }
  }
}

/** The value under the pointer: indices, coordinate values, decoded value (missing / NaN marked). */
heatCanvas.addEventListener("mousemove", (event) => {
  const slice = drawn;
  if (!slice || heatCanvas.hidden) return;
  const box = heatCanvas.getBoundingClientRect();
  const col = Math.floor(((event.clientX - box.left) / box.width) * slice.cols);
  const screenRow = Math.floor(((event.clientY - box.top) / box.height) * slice.rows);
  if (col < 0 || col >= slice.cols || screenRow < 0 || screenRow >= slice.rows) return;
  const row = slice.rowsAscend ? slice.rows - 1 - screenRow : screenRow;
  const i = row * slice.cols + col;
  const ndim = slice.ndim;
  const indices = [...slice.leading.map((l) => l.index), ...(ndim >= 2 ? [row * slice.step] : []), col * slice.step];
  const value = slice.values[i]!;
  const flag = slice.flags[i];
  const shown = flag === 1 ? "missing (fill value)" : flag === 2 ? "NaN" : `${showNumber(value)}${slice.units ? ` ${slice.units}` : ""}`;
  const coordinates = [
    ...(ndim >= 2 && slice.rowCoordinate ? [`${slice.rowCoordinate.path.slice(1)} = ${showNumber(slice.rowCoordinate.values[row]!)}`] : []),
    ...(slice.colCoordinate ? [`${slice.colCoordinate.path.slice(1)} = ${showNumber(slice.colCoordinate.values[col]!)}`] : []),
  ];
  heatHover.textContent = `${slice.path}[${indices.join(", ")}]${coordinates.length ? ` (${coordinates.join(", ")})` : ""}: ${shown}`;
  heatHover.dataset.index = indices.join(",");
  heatHover.dataset.value = flag === 1 ? "missing" : flag === 2 ? "NaN" : String(value);
});
heatCanvas.addEventListener("mouseleave", () => {
  heatHover.textContent = "";
  delete heatHover.dataset.value;
  delete heatHover.dataset.index;
});

async function select(path: string): Promise<void> {
  if (!opened) return;
  selected = path;
  const mine = generation;
  const current = (): boolean => mine === generation && selected === path;
  for (const row of treeBody.querySelectorAll<HTMLTableRowElement>("tr[data-var]")) row.classList.toggle("selected", row.dataset.var === path);
  const params = new URLSearchParams(location.search);
  params.set("var", path.replace(/^\//, ""));
  history.replaceState(null, "", `?${params}`);
  document.body.dataset.state = "reading";
  const variable = variables(opened).find((v) => v.path === path)!;
  buildSliders(variable, initialIndex);
  initialIndex = [];
  drawn = undefined;
  sliceBusy = undefined;
  sliceAgain = false;
  const mine2 = ++sliceRequest;
  try {
    const chunks = await call({ type: "chunks", path });
    if (!current()) return;
    drawChunkMap(chunks);
    heatCanvas.hidden = false;
    try {
      const index = sliderIndex();
      if (index.length) params.set("index", index.join(","));
      else params.delete("index");
      history.replaceState(null, "", `?${params}`);
      const slice = await call({ type: "slice", path, index, ...(maxSide ? { maxSide } : {}) });
      if (mine2 !== sliceRequest) return;
      if (!current()) return;
      drawHeatmap(slice);
    } catch (error) {
      if (!current()) return;
      heatCanvas.hidden = true;
      heatText.textContent = (error as Error).message;
      if (!(error as Error).message.startsWith("error [NOT_FOUND]")) throw error;
    }
    document.body.dataset.state = "ready";
  } catch (error) {
    if (current()) showError((error as Error).message);
  }
}

async function openSource(source: string | File, variable?: string): Promise<void> {
  const mine = ++generation;
  opened = undefined;
  selected = undefined;
  layout = undefined;
  chunkHover.textContent = "";
  treeBody.replaceChildren();
  summary.textContent = "";
  download.hidden = true;
  chunkCanvas.getContext("2d")!.clearRect(0, 0, chunkCanvas.width, chunkCanvas.height);
  chunkText.textContent = "";
  heatCanvas.hidden = true;
  heatText.textContent = "";
  heatHover.textContent = "";
  sliceControls.replaceChildren();
  trafficText.textContent = "";
  downloadParquet.hidden = true;
  parquetStatus.textContent = "";
  drawn = undefined;
  document.body.dataset.state = "opening";
  showStatus(`opening ${typeof source === "string" ? source : source.name} …`);
  const started = performance.now();
  try {
    const info = await call({ type: "open", source });
    if (mine !== generation) return;
    opened = info;
    renderTree(info);
    renderTraffic(info);
    showStatus(`opened in ${((performance.now() - started) / 1000).toFixed(2)} s`);
    const json = await call({ type: "kerchunk" });
    if (mine !== generation) return;
    if (downloadUrl) URL.revokeObjectURL(downloadUrl);
    downloadUrl = URL.createObjectURL(new Blob([json], { type: "application/json" }));
    download.href = downloadUrl;
    const name = decodeURIComponent(info.url.replace(/[?#].*$/, "").split("/").pop() || "references");
    download.download = `${name}.kerchunk.json`;
    download.textContent = `download kerchunk JSON (${name}.kerchunk.json, ${json.length.toLocaleString("en")} bytes)`;
    download.hidden = false;
    downloadParquet.hidden = false;
    downloadParquet.dataset.name = `${name}.parq`;
    const all = variables(info);
    const wanted = variable ? all.find((v) => v.path === `/${variable.replace(/^\//, "")}` || v.name === variable) : undefined;
    if (variable && !wanted) {
      showError(`error [NOT_FOUND]: no variable "${variable}" in ${info.url}; variables: ${all.map((v) => v.path).join(", ")}`);
      return;
    }
    const first = wanted ?? all.find((v) => v.shape.length >= 2) ?? all[0];
    if (first) await select(first.path);
    else document.body.dataset.state = "ready";
  } catch (error) {
    if (mine === generation) showError((error as Error).message);
  }
}

/** The chunk under the pointer: its key, byte offset and length (or missing / inlined). */
chunkCanvas.addEventListener("mousemove", (event) => {
  if (!layout || layout.kinds.length === 0) return;
  const box = chunkCanvas.getBoundingClientRect();
  const n = layout.kinds.length;
  const index = Math.min(n - 1, Math.max(0, Math.floor(((event.clientX - box.left) / box.width) * n)));
  chunkHover.textContent = describeChunk(layout, index);
});
chunkCanvas.addEventListener("mouseleave", () => {
  chunkHover.textContent = "";
});

/** "chunk 3.0.0: offset 1,234, 5,678 bytes" for the chunk at flat (C order) `index`. */
function describeChunk(chunks: ChunkLayout, index: number): string {
  const coords: number[] = [];
  let rest = index;
  for (let d = chunks.gridShape.length - 1; d >= 0; d--) {
    coords.unshift(rest % chunks.gridShape[d]!);
    rest = Math.floor(rest / chunks.gridShape[d]!);
  }
  const key = coords.length ? coords.join(".") : "0";
  const kind = chunks.kinds[index];
  if (kind === 0) return `chunk ${key}: missing (fill value)`;
  if (kind === 2) return `chunk ${key}: inlined, ${chunks.lengths[index]!.toLocaleString("en")} bytes`;
  return `chunk ${key}: offset ${chunks.offsets[index]!.toLocaleString("en")}, ${chunks.lengths[index]!.toLocaleString("en")} bytes`;
}

/**
 * Builds the Parquet reference directory from the file's kerchunk references (from the parsing
 * worker) in a worker started for it (src/parquet-worker.ts) and saves it as `<name>.parq.zip`.
 */
downloadParquet.addEventListener("click", () => {
  const mine = generation;
  const folder = downloadParquet.dataset.name ?? "references.parq";
  downloadParquet.disabled = true;
  parquetStatus.textContent = "writing Parquet references …";
  const parquet = new Worker(new URL("./parquet-worker.ts", import.meta.url), { type: "module" });
  const done = (text: string, zip?: Uint8Array): void => {
    parquet.terminate();
    downloadParquet.disabled = false;
    if (mine !== generation) return;
    parquetStatus.textContent = text;
    if (!zip) return;
    const href = URL.createObjectURL(new Blob([zip as BlobPart], { type: "application/zip" }));
    const link = document.createElement("a");
    link.href = href;
    link.download = `${folder}.zip`;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(href), 60_000);
  };
  parquet.onmessage = (event: MessageEvent<ParquetResponse>) => {
    const answer = event.data;
    if (answer.ok) done(`${folder}.zip: ${answer.files} file(s), ${answer.zip.length.toLocaleString("en")} bytes`, answer.zip);
    else done(answer.error);
  };
  parquet.onerror = (event) => done(`error: the Parquet worker failed: ${event.message}`);
  call({ type: "refs" }).then(
    (refs) => parquet.postMessage({ refs, folder } satisfies ParquetRequest),
    (error: unknown) => done((error as Error).message),
  );
});

$<HTMLFormElement>("open-url").addEventListener("submit", (event) => {
  event.preventDefault();
  const url = urlInput.value.trim();
  if (!url) return;
  const params = new URLSearchParams({ url });
  history.replaceState(null, "", `?${params}`);
  void openSource(url);
});
$<HTMLInputElement>("file").addEventListener("change", (event) => {
  const file = (event.target as HTMLInputElement).files?.[0];
  if (file) void openSource(file);
});

const params = new URLSearchParams(location.search);
const initial = params.get("url");
if (initial) {
  urlInput.value = initial;
  void openSource(initial, params.get("var") ?? undefined);
} else {
  document.body.dataset.state = "idle";
}
