/**
 * Writes greyscale DICONDE files (DICOM for NDE, ASTM E2339) with dcmjs: the generator's
 * `--format dicom` films and the tests' DICOM uploads (issue #15). Native syntaxes are written as
 * given; RLE Lossless and JPEG Lossless (`./jpeg-lossless.ts`) are encoded here (dcmjs
 * encapsulates but does not compress); any other encapsulated syntax takes its frame as given
 * (`encapsulatedFrame`), for refusal tests.
 */

import dcmjs from "dcmjs";
import { encodeJpegLossless } from "./jpeg-lossless";

const { DicomDict, DicomMetaDictionary } = dcmjs.data;

export const TRANSFER_SYNTAX_UIDS = {
  implicitLittle: "1.2.840.10008.1.2",
  explicitLittle: "1.2.840.10008.1.2.1",
  explicitBig: "1.2.840.10008.1.2.2",
  rle: "1.2.840.10008.1.2.5",
  jpegLossless: "1.2.840.10008.1.2.4.57",
  jpegLosslessSv1: "1.2.840.10008.1.2.4.70",
} as const;

/** Digital X-ray image storage: DICONDE's radiographs reuse it with Modality DX. */
const SOP_CLASS = "1.2.840.10008.5.1.4.1.1.1.1";
/** A UID root for generated instances (2.25: UUID-derived, no registration needed). */
const UID_ROOT = "2.25.";

export interface DicondeFile {
  width: number;
  height: number;
  /** Stored values, row by row (two's complement bit patterns when `signed`). */
  values: Uint16Array | Uint8Array;
  bitsAllocated: 8 | 16;
  bitsStored?: number;
  signed?: boolean;
  transferSyntax?: string;
  photometric?: "MONOCHROME1" | "MONOCHROME2";
  /** mm: `[row spacing, column spacing]` as the tag holds them (a pixel's height, then its width). */
  pixelSpacing?: [number, number];
  imagerPixelSpacing?: [number, number];
  window?: { center: number; width: number };
  rescale?: { slope: number; intercept: number };
  componentName?: string;
  componentId?: string;
  examinationId?: string;
  /** Data set attributes by keyword, replacing the written ones; `undefined` removes one. */
  overrides?: Record<string, unknown>;
  /** The frame of an encapsulated syntax other than RLE, written as one fragment. */
  encapsulatedFrame?: Uint8Array;
}

const uid = () => `${UID_ROOT}${BigInt(`0x${crypto.randomUUID().replaceAll("-", "")}`)}`;

/** PackBits (PS3.5 G.3.1): replicate runs for repeated bytes, literal runs (up to 128) between. */
function packBits(plane: Uint8Array): number[] {
  const out: number[] = [];
  let i = 0;
  while (i < plane.length) {
    let run = 1;
    while (i + run < plane.length && plane[i + run] === plane[i] && run < 128) run++;
    if (run >= 2) {
      // −(run − 1) as a byte: repeat the next byte `run` times.
      out.push(257 - run, plane[i] as number);
      i += run;
      continue;
    }
    const start = i;
    while (i < plane.length && i - start < 128 && plane[i + 1] !== plane[i]) i++;
    out.push(i - start - 1, ...plane.subarray(start, i));
  }
  // Segments are of even length; −128 is the no-op byte.
  if (out.length % 2) out.push(0x80);
  return out;
}

/** RLE Lossless frame (PS3.5 Annex G): one segment per byte plane, most significant first. */
export function encodeRle(values: Uint16Array | Uint8Array, bytesPerSample: 1 | 2): Uint8Array {
  const segments = Array.from({ length: bytesPerSample }, (_, s) => {
    const shift = 8 * (bytesPerSample - 1 - s);
    return packBits(Uint8Array.from(values, (v) => (v >> shift) & 0xff));
  });
  const header = new DataView(new ArrayBuffer(64));
  header.setUint32(0, bytesPerSample, true);
  let offset = 64;
  segments.forEach((segment, s) => {
    header.setUint32(4 + 4 * s, offset, true);
    offset += segment.length;
  });
  const frame = new Uint8Array(offset);
  frame.set(new Uint8Array(header.buffer), 0);
  let at = 64;
  for (const segment of segments) {
    frame.set(segment, at);
    at += segment.length;
  }
  return frame;
}

/** Native pixel data in the syntax's byte order (dcmjs writes OW bytes as given). */
function nativeBytes(values: Uint16Array | Uint8Array, bitsAllocated: 8 | 16, littleEndian: boolean) {
  if (bitsAllocated === 8) return Uint8Array.from(values).buffer;
  const view = new DataView(new ArrayBuffer(values.length * 2));
  values.forEach((v, i) => {
    view.setUint16(2 * i, v, littleEndian);
  });
  return view.buffer;
}

const decimal = (values: number[]) => values.map((v) => String(v)).join("\\");

/** A DICONDE Part 10 file. */
export function writeDiconde(file: DicondeFile): Uint8Array {
  const syntax = file.transferSyntax ?? TRANSFER_SYNTAX_UIDS.explicitLittle;
  const bitsStored = file.bitsStored ?? file.bitsAllocated;
  const instance = uid();
  let pixelData: ArrayBuffer;
  if (syntax === TRANSFER_SYNTAX_UIDS.rle) {
    pixelData = encodeRle(file.values, file.bitsAllocated === 16 ? 2 : 1).slice().buffer;
  } else if (
    !file.encapsulatedFrame &&
    (syntax === TRANSFER_SYNTAX_UIDS.jpegLossless || syntax === TRANSFER_SYNTAX_UIDS.jpegLosslessSv1)
  ) {
    pixelData = encodeJpegLossless(file.values, file.width, file.height, bitsStored).slice().buffer;
  } else if (file.encapsulatedFrame) {
    pixelData = file.encapsulatedFrame.slice().buffer;
  } else {
    pixelData = nativeBytes(file.values, file.bitsAllocated, syntax !== TRANSFER_SYNTAX_UIDS.explicitBig);
  }
  const dataset: Record<string, unknown> = {
    SOPClassUID: SOP_CLASS,
    SOPInstanceUID: instance,
    StudyInstanceUID: uid(),
    SeriesInstanceUID: uid(),
    Modality: "DX",
    Manufacturer: "defect-detection generator",
    PatientName: file.componentName ?? "",
    PatientID: file.componentId ?? "",
    StudyID: file.examinationId ?? "",
    SamplesPerPixel: 1,
    PhotometricInterpretation: file.photometric ?? "MONOCHROME2",
    Rows: file.height,
    Columns: file.width,
    BitsAllocated: file.bitsAllocated,
    BitsStored: bitsStored,
    HighBit: bitsStored - 1,
    PixelRepresentation: file.signed ? 1 : 0,
    ...(file.pixelSpacing ? { PixelSpacing: decimal(file.pixelSpacing) } : {}),
    ...(file.imagerPixelSpacing ? { ImagerPixelSpacing: decimal(file.imagerPixelSpacing) } : {}),
    ...(file.window
      ? { WindowCenter: decimal([file.window.center]), WindowWidth: decimal([file.window.width]) }
      : {}),
    ...(file.rescale
      ? {
          RescaleSlope: decimal([file.rescale.slope]),
          RescaleIntercept: decimal([file.rescale.intercept]),
          RescaleType: "US",
        }
      : {}),
    ...file.overrides,
    PixelData: [pixelData],
    _vrMap: { PixelData: file.bitsAllocated === 16 ? "OW" : "OB" },
  };
  for (const [key, value] of Object.entries(dataset)) if (value === undefined) delete dataset[key];
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: SOP_CLASS,
    MediaStorageSOPInstanceUID: instance,
    TransferSyntaxUID: syntax,
    ImplementationClassUID: `${UID_ROOT}1`,
  };
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = DicomMetaDictionary.denaturalizeDataset(dataset);
  return new Uint8Array(dict.write());
}
