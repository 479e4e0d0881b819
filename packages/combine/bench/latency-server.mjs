// A Range-capable static file server for the benchmark, run as its own process: every request
// waits 20–50 ms (uniform) before it is answered. Usage: node latency-server.mjs <directory>
// Prints the port on stdout. GET /__requests answers the number of requests served so far.
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import path from "node:path";

const directory = process.argv[2];
let requests = 0;
const server = createServer((request, response) => {
  if (request.url === "/__requests") return response.writeHead(200).end(String(requests));
  requests++;
  setTimeout(() => {
    const file = path.join(directory, path.basename(decodeURIComponent(new URL(request.url, "http://x").pathname)));
    if (!existsSync(file)) return response.writeHead(404).end();
    const bytes = readFileSync(file);
    const size = bytes.length;
    if (request.method === "HEAD") return response.writeHead(200, { "content-length": size, "accept-ranges": "bytes" }).end();
    const range = /bytes=(\d+)-(\d*)/.exec(request.headers.range ?? "");
    if (!range) {
      return response.writeHead(200, { "content-length": size }).end(bytes);
    }
    const start = Number(range[1]);
    const end = Math.min(range[2] ? Number(range[2]) : size - 1, size - 1);
    if (start >= size) return response.writeHead(416, { "content-range": `bytes */${size}` }).end();
    // one write for headers and body (no stream): small files, and no Nagle / delayed-ACK stalls
    response.writeHead(206, { "content-length": end - start + 1, "content-range": `bytes ${start}-${end}/${size}`, "accept-ranges": "bytes" });
    response.end(bytes.subarray(start, end + 1));
  }, 20 + Math.random() * 30);
});
server.keepAliveTimeout = 60_000;
server.on("connection", (socket) => socket.setNoDelay(true));
server.listen(0, "127.0.0.1", () => process.stdout.write(`${server.address().port}\n`));
