import type { DatasetBox } from "@db/schema";
import { z } from "zod";
import { ApiError } from "../../errors";
import { type Layout, type Named, stem } from "./layout";

const Id = z.union([z.number().int(), z.string().min(1)]);

/** The parts of a COCO file an import reads; anything else in it is ignored. */
const CocoSchema = z.object({
  images: z.array(
    z.object({
      id: Id,
      file_name: z.string().min(1),
      width: z.number().int().positive().optional(),
      height: z.number().int().positive().optional(),
    }),
  ),
  annotations: z.array(z.object({ image_id: Id, category_id: Id, bbox: z.array(z.unknown()) })).default([]),
  categories: z.array(z.object({ id: Id, name: z.string().trim().min(1) })).min(1),
});
type Coco = z.infer<typeof CocoSchema>;

/** How far a box may pass the image's edge from rounding (then it is clamped). */
const ROUNDING = 0.5;

export type CocoFiles = { annotations: Named; byPath: Map<string, Named> };

/** A COCO archive: exactly one `.json` file, and the images it names. */
export function cocoFiles(named: Named[]): CocoFiles | null {
  const json = named.filter(({ path }) => path.toLowerCase().endsWith(".json"));
  if (json.length === 0) return null;
  if (json.length > 1) {
    throw new ApiError(
      "archive_invalid",
      `The archive holds ${json.length} .json files; a COCO import takes one`,
      {
        details: { entries: json.map(({ entry }) => entry.name) },
      },
    );
  }
  return { annotations: json[0] as Named, byPath: new Map(named.map((file) => [file.path, file])) };
}

function parseCoco(text: string, file: string): Coco {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ApiError("archive_invalid", `${file} is not JSON`);
  }
  const parsed = CocoSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ApiError("archive_invalid", `${file}: ${issue?.path.join(".")}: ${issue?.message}`);
  }
  return parsed.data;
}

/** Categories in id order become the class list; a category's id maps to its index. */
function cocoClasses(coco: Coco) {
  const sorted = [...coco.categories].sort((a, b) =>
    typeof a.id === "number" && typeof b.id === "number" ? a.id - b.id : String(a.id) < String(b.id) ? -1 : 1,
  );
  const byId = new Map<string, number>();
  const names: string[] = [];
  for (const category of sorted) {
    if (byId.has(String(category.id)) || names.includes(category.name)) {
      throw new ApiError("dataset_duplicate", `Category ${category.id} ("${category.name}") is listed twice`);
    }
    byId.set(String(category.id), names.length);
    names.push(category.name);
  }
  return { names, byId };
}

function boxError(file: string, index: number, reason: string): ApiError {
  return new ApiError("dataset_label_invalid", `${file}: annotation ${index}: ${reason}`, {
    details: { entry: file, annotation: index },
  });
}

type Pending = { classId: number; x: number; y: number; w: number; h: number; index: number };

/** Checks a box against the image once its size is known, and places it in pixels. */
function placeBoxes(boxes: Pending[], file: string, width: number, height: number): DatasetBox[] {
  return boxes.map(({ classId, x, y, w, h, index }) => {
    if (x + w > width + ROUNDING || y + h > height + ROUNDING) {
      throw boxError(file, index, `the box runs outside the ${width}×${height} image`);
    }
    return { classId, x1: x, y1: y, x2: Math.min(width, x + w), y2: Math.min(height, y + h) };
  });
}

/** The layout of a COCO archive; `file_name` is found as given or under `images/`. */
export function cocoLayout(files: CocoFiles, text: string, maxBoxes: number): Layout {
  const file = files.annotations.entry.name;
  const coco = parseCoco(text, file);
  const classes = cocoClasses(coco);
  const images = new Map<
    string,
    { named: Named; declared?: { width: number; height: number }; boxes: Pending[] }
  >();
  const used = new Set<string>();
  for (const image of coco.images) {
    if (images.has(String(image.id)))
      throw new ApiError("dataset_duplicate", `${file}: image id ${image.id} is listed twice`);
    const named = files.byPath.get(image.file_name) ?? files.byPath.get(`images/${image.file_name}`);
    if (!named) {
      throw new ApiError(
        "dataset_image_missing",
        `${file}: image ${image.id} names "${image.file_name}", which the archive does not hold`,
        {
          details: { fileName: image.file_name },
        },
      );
    }
    if (used.has(named.path))
      throw new ApiError("dataset_duplicate", `${file}: "${image.file_name}" is listed twice`);
    used.add(named.path);
    const declared = image.width && image.height ? { width: image.width, height: image.height } : undefined;
    images.set(String(image.id), { named, ...(declared ? { declared } : {}), boxes: [] });
  }
  for (const [index, annotation] of coco.annotations.entries()) {
    const image = images.get(String(annotation.image_id));
    if (!image) {
      throw new ApiError(
        "dataset_image_missing",
        `${file}: annotation ${index} is for image ${annotation.image_id}, which is not listed`,
        {
          details: { entry: file, annotation: index },
        },
      );
    }
    const classId = classes.byId.get(String(annotation.category_id));
    if (classId === undefined) {
      throw new ApiError(
        "dataset_class_unknown",
        `${file}: annotation ${index} has category ${annotation.category_id}, which is not listed`,
        {
          details: { entry: file, annotation: index },
        },
      );
    }
    const [x, y, w, h] = annotation.bbox as number[];
    if (
      annotation.bbox.length !== 4 ||
      ![x, y, w, h].every((v) => typeof v === "number" && Number.isFinite(v))
    ) {
      throw boxError(file, index, "bbox must be four numbers [x, y, width, height]");
    }
    if ((x as number) < 0 || (y as number) < 0 || (w as number) <= 0 || (h as number) <= 0) {
      throw boxError(file, index, "bbox must start inside the image and have a positive size");
    }
    image.boxes.push({ classId, x: x as number, y: y as number, w: w as number, h: h as number, index });
    if (image.boxes.length > maxBoxes)
      throw boxError(file, index, `image ${annotation.image_id} has more than ${maxBoxes} boxes`);
  }
  const layoutImages = [...images.values()].map(({ named, declared, boxes }) => ({
    entry: named.entry,
    key: stem(named.path.replace(/^images\//, "")),
    filename: named.path,
    ...(declared ? { declared } : {}),
    boxes: (width: number, height: number) => placeBoxes(boxes, file, width, height),
  }));
  const ignored = files.byPath.size - 1 - used.size;
  return { format: "coco", classes: classes.names, images: layoutImages, ignored };
}
