/**
 * DICOM transfer syntaxes (PS3.5 §10, Annex A) and which of them the platform decodes (issue #15):
 * the edge refuses the others at upload, from the header, with `unsupported_transfer_syntax` (415);
 * inference decodes the pixel data of the supported ones.
 */

export interface TransferSyntax {
  uid: string;
  name: string;
  /** Whether the platform decodes its pixel data. */
  supported: boolean;
  /** How the pixel data is stored: native (uncompressed), RLE, or a JPEG-family codestream. */
  encoding:
    | "native"
    | "rle"
    | "jpeg-baseline"
    | "jpeg-lossless"
    | "jpeg-ls"
    | "jpeg-2000"
    | "deflate"
    | "other";
  littleEndian: boolean;
  explicitVr: boolean;
}

const syntax = (
  uid: string,
  name: string,
  encoding: TransferSyntax["encoding"],
  supported: boolean,
  explicitVr = true,
  littleEndian = true,
): TransferSyntax => ({ uid, name, encoding, supported, explicitVr, littleEndian });

export const TRANSFER_SYNTAXES: readonly TransferSyntax[] = [
  syntax("1.2.840.10008.1.2", "Implicit VR Little Endian", "native", true, false),
  syntax("1.2.840.10008.1.2.1", "Explicit VR Little Endian", "native", true),
  syntax("1.2.840.10008.1.2.2", "Explicit VR Big Endian (retired)", "native", true, true, false),
  syntax("1.2.840.10008.1.2.5", "RLE Lossless", "rle", true),
  // Decoded by jpeg-lossless-decoder-js (`./jpeg-lossless.ts`), in the inference service and the web viewer.
  syntax("1.2.840.10008.1.2.4.57", "JPEG Lossless, Non-Hierarchical (Process 14)", "jpeg-lossless", true),
  syntax(
    "1.2.840.10008.1.2.4.70",
    "JPEG Lossless, First-Order Prediction (Process 14 SV1)",
    "jpeg-lossless",
    true,
  ),
  // Not decoded: each needs a codec the platform does not carry (or, for deflate, inflating the
  // whole data set at upload, where a small file can expand without bound).
  syntax("1.2.840.10008.1.2.1.99", "Deflated Explicit VR Little Endian", "deflate", false),
  syntax("1.2.840.10008.1.2.4.50", "JPEG Baseline (Process 1)", "jpeg-baseline", false),
  syntax("1.2.840.10008.1.2.4.51", "JPEG Extended (Process 2 & 4)", "jpeg-baseline", false),
  syntax("1.2.840.10008.1.2.4.80", "JPEG-LS Lossless", "jpeg-ls", false),
  syntax("1.2.840.10008.1.2.4.81", "JPEG-LS Near-Lossless", "jpeg-ls", false),
  syntax("1.2.840.10008.1.2.4.90", "JPEG 2000 (Lossless Only)", "jpeg-2000", false),
  syntax("1.2.840.10008.1.2.4.91", "JPEG 2000", "jpeg-2000", false),
  syntax("1.2.840.10008.1.2.4.201", "High-Throughput JPEG 2000 (Lossless Only)", "jpeg-2000", false),
  syntax("1.2.840.10008.1.2.4.203", "High-Throughput JPEG 2000", "jpeg-2000", false),
];

const BY_UID = new Map(TRANSFER_SYNTAXES.map((s) => [s.uid, s]));

/** The transfer syntax of a UID; an unknown UID is reported as unsupported, never guessed at. */
export function transferSyntax(uid: string): TransferSyntax {
  const trimmed = uid.replace(/[\0\s]+$/, "");
  return BY_UID.get(trimmed) ?? syntax(trimmed, "unknown transfer syntax", "other", false);
}

/** The names of the supported ones, for error messages and documentation. */
export const SUPPORTED_TRANSFER_SYNTAXES = TRANSFER_SYNTAXES.filter((s) => s.supported).map(
  (s) => `${s.name} (${s.uid})`,
);
