/**
 * A JPEG Lossless encoder (ITU T.81 Annex H: process 14, first-order prediction, one component),
 * for DICONDE files in the JPEG Lossless transfer syntaxes (issue #15). No npm package writes them
 * (the decoders, jpeg-lossless-decoder-js among them, only read), and libvips writes lossy JPEG
 * only; the tests need files a real encoder's layout would give, so this writes the standard's
 * segments plainly: SOI, SOF3, one DHT, SOS with predictor 1, the entropy-coded differences, EOI.
 */

/** Difference categories 0–16 (H.1.2.2), all with 5-bit codes: valid, and simple to check by eye. */
const CATEGORIES = 17;
const CODE_BITS = 5;

class BitWriter {
  readonly bytes: number[] = [];
  private current = 0;
  private filled = 0;

  write(value: number, bits: number) {
    for (let b = bits - 1; b >= 0; b--) {
      this.current = (this.current << 1) | ((value >> b) & 1);
      if (++this.filled === 8) this.flushByte();
    }
  }

  /** Pads the last byte with 1-bits (F.1.2.3). */
  finish() {
    while (this.filled !== 0) this.write(1, 1);
  }

  private flushByte() {
    this.bytes.push(this.current);
    // A 0xFF in entropy-coded data is followed by a stuffed zero byte (F.1.2.3).
    if (this.current === 0xff) this.bytes.push(0);
    this.current = 0;
    this.filled = 0;
  }
}

const category = (difference: number) => (difference === 0 ? 0 : 32 - Math.clz32(Math.abs(difference)));

/** One greyscale frame of `precision` bits (2–16), predictor 1 (the sample to the left). */
export function encodeJpegLossless(
  values: ArrayLike<number>,
  width: number,
  height: number,
  precision: number,
): Uint8Array {
  const u16 = (v: number) => [(v >> 8) & 0xff, v & 0xff];
  const frameHeader = [0xff, 0xc3, ...u16(11), precision, ...u16(height), ...u16(width), 1, 1, 0x11, 0];
  const counts = Array.from({ length: 16 }, (_, i) => (i + 1 === CODE_BITS ? CATEGORIES : 0));
  const symbols = Array.from({ length: CATEGORIES }, (_, i) => i);
  const huffman = [0xff, 0xc4, ...u16(2 + 1 + 16 + CATEGORIES), 0x00, ...counts, ...symbols];
  // Ns 1, component 1 with DC table 0, Ss = predictor 1, Se 0, Ah/Al 0 (no point transform).
  const scanHeader = [0xff, 0xda, ...u16(8), 1, 1, 0x00, 1, 0, 0];

  const bits = new BitWriter();
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      // H.1.2.1: the first sample predicts from 2^(P−1), the first row from the left, the first
      // column from above, every other sample (predictor 1) from the left.
      const prediction =
        x === 0 && y === 0
          ? 1 << (precision - 1)
          : y === 0 || x > 0
            ? (values[i - 1] as number)
            : (values[i - width] as number);
      // Differences are modulo 2^16, in −32767…32768 (H.1.2.1).
      let difference = ((values[i] as number) - prediction) % 65536;
      if (difference > 32768) difference -= 65536;
      if (difference < -32767) difference += 65536;
      const ssss = category(difference);
      bits.write(ssss, CODE_BITS);
      // Category 16 (difference 32768) carries no extra bits; negative differences are sent as
      // difference − 1 in `ssss` bits (F.1.2.1.1).
      if (ssss > 0 && ssss < 16) bits.write(difference > 0 ? difference : difference - 1 + (1 << ssss), ssss);
    }
  }
  bits.finish();
  return Uint8Array.from([0xff, 0xd8, ...frameHeader, ...huffman, ...scanHeader, ...bits.bytes, 0xff, 0xd9]);
}
