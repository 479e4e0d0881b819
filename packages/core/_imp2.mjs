const c=()=>{const u=process.cpuUsage();return (u.user+u.system)/1000};
const out={start:c()};
for (const m of process.argv.slice(2)) { const a=c(); await import(m); out[m]=+(c()-a).toFixed(1); }
console.log(JSON.stringify(out));
