/**
 * How a DICOM Part 10 file (PS3.10 §7.1) announces itself: a 128-byte preamble, then "DICM". Kept
 * apart from the reader (`./dicom-part10.ts`) so that code which only sorts files by type (the web
 * viewer's first-load bundle) does not pull in the parser.
 */
export const DICOM_PREAMBLE_BYTES = 128;
const MAGIC = [0x44, 0x49, 0x43, 0x4d];

export const isDicomPart10 = (head: Uint8Array): boolean =>
  MAGIC.every((value, i) => head[DICOM_PREAMBLE_BYTES + i] === value);
