import { build } from "esbuild";
import { gzipSync } from "node:zlib";
const r = await build({ stdin: { contents: process.argv[2], resolveDir: process.cwd(), loader: "js" }, bundle: true, write: false, splitting: true, outdir: "/tmp/szout", format: "esm", platform: "browser", minify: true, metafile: true, logLevel: "silent" });
const outs = r.metafile.outputs; const entry = Object.keys(outs).find(k => outs[k].entryPoint);
const seen = new Set([entry]); const q=[entry]; while(q.length){const o=q.shift(); for(const i of outs[o].imports) if(i.kind==="import-statement"&&!seen.has(i.path)){seen.add(i.path);q.push(i.path);} }
let total=0; for (const f of r.outputFiles) { const rel = Object.keys(outs).find(k=>f.path.endsWith(k.replace(/^.*szout/,""))); const gz=gzipSync(f.contents).length; const isInit = [...seen].some(s=>f.path.endsWith(s.replace(/^.*szout/,""))); if(isInit) total+=gz; console.log(isInit?"INIT":"lazy", f.path, (f.contents.length/1024).toFixed(0), (gz/1024).toFixed(0)); }
console.log("initial gz KB", (total/1024).toFixed(1));
