declare module "seek-bzip" {
  const Bunzip: {
    decode(input: Uint8Array, output?: unknown, multistream?: boolean): unknown;
  };
  export default Bunzip;
}
