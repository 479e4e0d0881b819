const c=()=>{const u=process.cpuUsage();return (u.user+u.system)/1000};
const a=c();
await import("@vz/core/node");
const b=c();
await import("/work/vz-startup/plugins/parser-hdf5/dist/index.js");
console.log({start:a, core:b-a, hdf5:c()-b});
