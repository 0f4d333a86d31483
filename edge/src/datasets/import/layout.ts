import type { DatasetBox } from "@db/schema";
import type { ZipEntry } from "../zip/central-directory";

/** An image of the archive and its boxes, which need the image's size to be checked and placed. */
export type PlannedImage = {
  entry: ZipEntry;
  key: string;
  filename: string;
  /** Declared width and height the annotations carry (COCO), to compare with the file's. */
  declared?: { width: number; height: number };
  boxes: (width: number, height: number) => DatasetBox[];
};

export type Layout = { format: "yolo" | "coco"; classes: string[]; images: PlannedImage[]; ignored: number };

/** An entry with the archive's single top folder removed from its name, if it has one. */
export type Named = { entry: ZipEntry; path: string };

const isRootFile = (path: string) =>
  /^data\.ya?ml$/i.test(path) || (!path.includes("/") && /\.json$/i.test(path));

/** Archives made by zipping a folder hold everything under that folder: read them as if they did not. */
export function withoutTopFolder(entries: ZipEntry[]): Named[] {
  const named = entries.map((entry) => ({ entry, path: entry.name }));
  if (named.some(({ path }) => isRootFile(path) || !path.includes("/"))) return named;
  const top = named[0]?.path.split("/")[0];
  if (!top || !named.every(({ path }) => path.startsWith(`${top}/`))) return named;
  return named.map(({ entry, path }) => ({ entry, path: path.slice(top.length + 1) }));
}

/** `a/b.png` → `a/b`. */
export const stem = (path: string) => path.replace(/\.[^./]*$/, "");
