/**
 * Messages between the page and its parsing worker.
 * @module
 */
import type { KerchunkRefs } from "@vz/core";
import type { ChunkLayout, FileInfo, Slice2D } from "./inspector.js";

export type Request =
  | { id: number; type: "open"; source: string | File }
  | { id: number; type: "chunks"; path: string }
  | { id: number; type: "slice"; path: string; maxSide?: number; index?: number[] }
  | { id: number; type: "kerchunk" }
  | { id: number; type: "refs" };

export interface Results {
  open: FileInfo;
  chunks: ChunkLayout;
  slice: Slice2D;
  kerchunk: string;
  refs: KerchunkRefs;
}

export type Response = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };
