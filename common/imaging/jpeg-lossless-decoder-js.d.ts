/** jpeg-lossless-decoder-js names a declaration file it does not ship; the part used here. */
declare module "jpeg-lossless-decoder-js" {
  export class Decoder {
    /** Decodes the codestream at `offset`, `length` bytes long: 1 byte per sample up to 8 bits of precision, else 2. */
    decode(buffer: ArrayBuffer, offset: number, length: number): Uint8Array | Uint16Array;
  }
}
