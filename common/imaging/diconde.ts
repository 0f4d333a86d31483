import type { ImagePixelSize } from "../measurements";
import { transferSyntax } from "./dicom-transfer-syntax";
import type { ImageMetadata } from "./image-metadata";

/**
 * The DICONDE (DICOM for NDE, ASTM E2339) tags that matter for detection, read from a parsed header
 * (issue #15). Both sides use it: the edge at upload (header only, to validate and keep metadata),
 * inference before it decodes the pixels. `DicomHeader` is the part of a parser's data set it needs:
 * dicom-parser's `DataSet` (`string(tag)`, `uint16(tag)`, tags as `x00280010`) fits it as it is.
 */
export interface DicomHeader {
  string(tag: string): string | undefined;
  uint16(tag: string): number | undefined;
}

export const TAGS = {
  transferSyntax: "x00020010",
  modality: "x00080060",
  studyDate: "x00080020",
  manufacturer: "x00080070",
  studyDescription: "x00081030",
  seriesDescription: "x0008103e",
  stationName: "x00081010",
  componentName: "x00100010",
  componentId: "x00100020",
  imagerPixelSpacing: "x00181164",
  studyInstanceUid: "x0020000d",
  studyId: "x00200010",
  seriesNumber: "x00200011",
  samplesPerPixel: "x00280002",
  photometric: "x00280004",
  numberOfFrames: "x00280008",
  rows: "x00280010",
  columns: "x00280011",
  pixelSpacing: "x00280030",
  bitsAllocated: "x00280100",
  bitsStored: "x00280101",
  highBit: "x00280102",
  pixelRepresentation: "x00280103",
  windowCenter: "x00281050",
  windowWidth: "x00281051",
  rescaleIntercept: "x00281052",
  rescaleSlope: "x00281053",
  pixelData: "x7fe00010",
} as const;

/** DICONDE's names for the patient/study/series attributes it reuses, kept as image metadata. */
const IDENTIFIERS = {
  componentName: TAGS.componentName,
  componentId: TAGS.componentId,
  examinationId: TAGS.studyId,
  examinationUid: TAGS.studyInstanceUid,
  examinationDate: TAGS.studyDate,
  examinationDescription: TAGS.studyDescription,
  seriesDescription: TAGS.seriesDescription,
  seriesNumber: TAGS.seriesNumber,
  manufacturer: TAGS.manufacturer,
  stationName: TAGS.stationName,
} as const;

/** What a greyscale DICONDE image is, as far as decoding and measuring it go. */
export interface DicondeImage {
  width: number;
  height: number;
  bitsAllocated: 8 | 16;
  bitsStored: number;
  highBit: number;
  /** Two's complement samples. */
  signed: boolean;
  photometric: "MONOCHROME1" | "MONOCHROME2";
  transferSyntax: string;
  pixelSizeMm: ImagePixelSize | undefined;
  metadata: ImageMetadata;
}

/** Why a header cannot be used: `corrupt` (values the standard forbids) or `unsupported`. */
export class DicondeError extends Error {
  constructor(
    readonly problem: "corrupt" | "unsupported" | "unsupported_transfer_syntax" | "polyglot",
    message: string,
  ) {
    super(message);
    this.name = "DicondeError";
  }
}

/** A DICOM string value without its padding (trailing spaces or NUL). */
const clean = (value: string | undefined) => value?.replace(/[\0\s]+$/, "").trim() || undefined;

/**
 * One Decimal String value (PS3.5 §6.2 DS): at most 16 bytes, optional leading and trailing
 * spaces, a fixed point number (`[+-]` digits with an optional `.`) or one with an exponent
 * (`E` or `e`, ANSI X3.9). JavaScript's Number() would also read `0x10` (16), `0b1`, `Infinity`,
 * or an empty value (0), which the standard does not allow.
 */
const DECIMAL_STRING = /^ *[+-]?(\d+\.?\d*|\.\d+)([Ee][+-]?\d+)? *$/;
/** One Integer String value (PS3.5 §6.2 IS): at most 12 bytes, `[+-]` digits, padded with spaces. */
const INTEGER_STRING = /^ *[+-]?\d+ *$/;

/**
 * The values of a DS or IS element (backslash-separated when multi-valued). A value that is not
 * the VR's form is NaN, so the caller decides: a value the image's meaning depends on (Pixel
 * Spacing, Rescale, Number of Frames) is refused as corrupt, a display hint (Window) left out.
 */
function numbers(value: string | undefined, vr: "DS" | "IS" = "DS"): number[] {
  const text = clean(value);
  if (text === undefined) return [];
  const [form, maxBytes] = vr === "DS" ? [DECIMAL_STRING, 16] : [INTEGER_STRING, 12];
  return text.split("\\").map((part) => {
    if (part.length > maxBytes || !form.test(part)) return Number.NaN;
    const number = Number(part.trim());
    return vr === "IS" && (number < -(2 ** 31) || number >= 2 ** 31) ? Number.NaN : number;
  });
}

function pixelSize(header: DicomHeader): ImagePixelSize | undefined {
  for (const [tag, source] of [
    [TAGS.pixelSpacing, "dicom_pixel_spacing"],
    [TAGS.imagerPixelSpacing, "dicom_imager_pixel_spacing"],
  ] as const) {
    const values = numbers(header.string(tag));
    if (values.length === 0) continue;
    // Row spacing (between rows: a pixel's height) first, then column spacing (its width).
    const [y, x] = values;
    const valid = (v: number | undefined): v is number =>
      v !== undefined && Number.isFinite(v) && v > 0 && v <= 100;
    if (values.length !== 2 || !valid(x) || !valid(y)) {
      throw new DicondeError(
        "corrupt",
        `${source} must be two positive spacings in mm, got "${clean(header.string(tag))}"`,
      );
    }
    return { x, y, source };
  }
  return undefined;
}

/**
 * Reads and checks the header of a greyscale, single-frame DICONDE image: sizes, sample format,
 * transfer syntax (refused with `unsupported_transfer_syntax` unless the platform decodes it), pixel
 * size (Pixel Spacing, else Imager Pixel Spacing), the values the intensity mapping needs (Bits
 * Stored, Rescale, the first Window, Photometric Interpretation) and the component and inspection
 * identifiers.
 */
export function readDiconde(header: DicomHeader): DicondeImage {
  const uid = clean(header.string(TAGS.transferSyntax));
  if (uid === undefined)
    throw new DicondeError("corrupt", "no Transfer Syntax UID (0002,0010) in the file meta information");
  const syntax = transferSyntax(uid);
  if (!syntax.supported) {
    throw new DicondeError(
      "unsupported_transfer_syntax",
      `transfer syntax ${syntax.name} (${syntax.uid}) is not supported`,
    );
  }
  const width = header.uint16(TAGS.columns);
  const height = header.uint16(TAGS.rows);
  if (!width || !height) throw new DicondeError("corrupt", "Rows and Columns must be positive");
  const samples = header.uint16(TAGS.samplesPerPixel) ?? 1;
  const photometric = clean(header.string(TAGS.photometric));
  if (samples !== 1 || (photometric !== "MONOCHROME1" && photometric !== "MONOCHROME2")) {
    throw new DicondeError(
      "unsupported",
      `only greyscale images are supported (${samples} samples, ${photometric ?? "no"} photometric interpretation)`,
    );
  }
  const frames = numbers(header.string(TAGS.numberOfFrames), "IS")[0] ?? 1;
  if (!Number.isInteger(frames) || frames < 1)
    throw new DicondeError("corrupt", `Number of Frames must be a positive Integer String`);
  if (frames !== 1)
    throw new DicondeError("unsupported", `multi-frame images are not supported (${frames} frames)`);
  const bitsAllocated = header.uint16(TAGS.bitsAllocated);
  if (bitsAllocated !== 8 && bitsAllocated !== 16) {
    throw new DicondeError(
      "unsupported",
      `Bits Allocated ${bitsAllocated ?? "missing"}: 8 or 16 are supported`,
    );
  }
  const bitsStored = header.uint16(TAGS.bitsStored) ?? bitsAllocated;
  const highBit = header.uint16(TAGS.highBit) ?? bitsStored - 1;
  if (bitsStored < 1 || bitsStored > bitsAllocated || highBit < bitsStored - 1 || highBit >= bitsAllocated) {
    throw new DicondeError(
      "corrupt",
      `Bits Stored ${bitsStored} and High Bit ${highBit} do not fit Bits Allocated ${bitsAllocated}`,
    );
  }
  const signed = header.uint16(TAGS.pixelRepresentation) === 1;

  const metadata: ImageMetadata = { bitsStored, photometric, transferSyntax: syntax.uid };
  const [slope] = numbers(header.string(TAGS.rescaleSlope));
  const [intercept] = numbers(header.string(TAGS.rescaleIntercept));
  if (slope !== undefined || intercept !== undefined) {
    const rescale = { slope: slope ?? 1, intercept: intercept ?? 0 };
    if (!Number.isFinite(rescale.slope) || rescale.slope === 0 || !Number.isFinite(rescale.intercept)) {
      throw new DicondeError(
        "corrupt",
        "Rescale Slope must be a non-zero number and Rescale Intercept a number",
      );
    }
    metadata.rescale = rescale;
  }
  const [center] = numbers(header.string(TAGS.windowCenter));
  const [windowWidth] = numbers(header.string(TAGS.windowWidth));
  if (center !== undefined && windowWidth !== undefined && Number.isFinite(center) && windowWidth > 0) {
    metadata.window = { center, width: windowWidth };
  }
  const modality = clean(header.string(TAGS.modality));
  if (modality) metadata.modality = modality;
  const identifiers: Record<string, string> = {};
  for (const [name, tag] of Object.entries(IDENTIFIERS)) {
    const value = clean(header.string(tag));
    if (value) identifiers[name] = value;
  }
  if (Object.keys(identifiers).length) metadata.identifiers = identifiers;

  return {
    width,
    height,
    bitsAllocated,
    bitsStored,
    highBit,
    signed,
    photometric,
    transferSyntax: syntax.uid,
    pixelSizeMm: pixelSize(header),
    metadata,
  };
}
