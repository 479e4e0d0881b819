/**
 * The parsing worker: opens files, reads chunks and writes references off the page's thread.
 * Errors come back as the text the CLI prints (`error [CODE]: message`).
 * @module
 */
import { errorText, Inspector } from "./inspector.js";
import type { Request, Response } from "./protocol.js";

const inspector = new Inspector();
const scope = self as unknown as { onmessage: ((event: MessageEvent<Request>) => void) | null; postMessage(message: Response, transfer?: Transferable[]): void };

async function handle(request: Request): Promise<{ result: unknown; transfer: Transferable[] }> {
  switch (request.type) {
    case "open":
      return { result: await inspector.open(request.source), transfer: [] };
    case "chunks": {
      const layout = inspector.chunkLayout(request.path);
      return { result: layout, transfer: [layout.kinds.buffer, layout.offsets.buffer, layout.lengths.buffer] };
    }
    case "slice": {
      const slice = await inspector.slice2d(request.path, request.maxSide, request.index);
      return { result: slice, transfer: [slice.values.buffer, slice.flags.buffer] };
    }
    case "kerchunk":
      return { result: inspector.kerchunkJson(), transfer: [] };
    case "refs":
      return { result: inspector.kerchunkRefs(), transfer: [] };
  }
}

scope.onmessage = (event) => {
  const request = event.data;
  handle(request).then(
    ({ result, transfer }) => scope.postMessage({ id: request.id, ok: true, result }, transfer),
    (error: unknown) => scope.postMessage({ id: request.id, ok: false, error: errorText(error) }),
  );
};
