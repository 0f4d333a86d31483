import type { ImageMetadata } from "@common/imaging/image-metadata";
import type { ImagePixelSize } from "@common/measurements";
import {
  bigint,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  smallint,
  text,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { createdAt, id } from "./columns";
import { users } from "./users";

export const imageFormat = pgEnum("image_format", ["jpeg", "png", "tiff", "webp", "dicom"]);

export const images = pgTable(
  "images",
  {
    id: id(),
    ownerId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** R2 object key: owner-scoped and unguessable. */
    objectKey: text().notNull(),
    filename: text(),
    /** Which weld and part the film shows, as given at upload: how inspectors find a film again. */
    weldId: text(),
    partId: text(),
    format: imageFormat().notNull(),
    width: integer().notNull(),
    height: integer().notNull(),
    bitDepth: smallint().notNull(),
    bytes: bigint({ mode: "number" }).notNull(),
    sha256: text().notNull(),
    /** Millimetres per pixel, when known (DICONDE tags, or given at upload), and where it came from. */
    pixelSizeMm: jsonb().$type<ImagePixelSize>(),
    /** Header facts beyond the size: DICONDE window, rescale, photometric, identifiers. */
    metadata: jsonb().$type<ImageMetadata>(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("images_object_key_key").on(t.objectKey),
    index("images_owner_created_idx").on(t.ownerId, t.createdAt.desc(), t.id.desc()),
    index("images_owner_sha256_idx").on(t.ownerId, t.sha256),
  ],
);
