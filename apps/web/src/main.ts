/**
 * The inspector page: open a file by URL (`?url=`) or from disk, list its groups and variables,
 * draw the selected variable's chunk map and a heatmap of a 2-D slice, offer the kerchunk JSON.
 * Parsing and reading happen in a Web Worker (src/worker.ts).
 * @module
 */
import { colorFor, finiteRange } from "./colors.js";
import type { ChunkLayout, FileInfo, Slice2D, VariableInfo } from "./inspector.js";
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
const urlInput = $<HTMLInputElement>("url");

/** `&side=N`: the largest side of a drawn slice (default 2048); a larger slice is read with a stride. */
const maxSide = Number(new URLSearchParams(location.search).get("side")) || undefined;
let opened: FileInfo | undefined;
/** Bumped by every open: answers for an earlier file are dropped. */
let generation = 0;
let layout: ChunkLayout | undefined;
let selected: string | undefined;
let downloadUrl: string | undefined;

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
  drawColorbar(min, max);
  heatText.textContent =
    `${slice.path}[${slice.slice}]: ${rows} × ${cols} (${slice.rowDim ?? "?"} × ${slice.colDim ?? "?"})` +
    (slice.step > 1 ? `, every ${slice.step}th row and column` : "") +
    (slice.units ? `, ${slice.units}` : "") +
    (slice.applied.length ? `; decoded with ${slice.applied.join(", ")} (missing values transparent)` : "; no CF packing attributes");
}

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
  try {
    const chunks = await call({ type: "chunks", path });
    if (!current()) return;
    drawChunkMap(chunks);
    heatCanvas.hidden = false;
    try {
      const slice = await call({ type: "slice", path, ...(maxSide ? { maxSide } : {}) });
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
  document.body.dataset.state = "opening";
  showStatus(`opening ${typeof source === "string" ? source : source.name} …`);
  const started = performance.now();
  try {
    const info = await call({ type: "open", source });
    if (mine !== generation) return;
    opened = info;
    renderTree(info);
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
