import { z } from "zod";

/**
 * How an image larger than the model input is cut into tiles (issue #15). A job parameter, carried
 * on the `detect` queue message; the inference service does the cutting and the merging.
 *
 * - `auto` (what an absent value means): tiles only when letterboxing the whole image would shrink
 *   it more than the service's `TILING_AUTO_MAX_SHRINK` (4 by default: the default model was trained
 *   on 480–1,280 px films at a 320 px input), then square tiles of the model's input size in image
 *   pixels (no scaling) with the service's default overlap, plus one letterboxed pass over the whole
 *   image, merged as SAHI does (a whole-image box drops the tile fragments inside it), so large
 *   defects stay whole and small ones are still found.
 * - `off`: the whole image is letterboxed into one model input, as before tiling existed.
 * - `{ tileSize, overlap, wholeImage }`: tiles of `tileSize` × `tileSize` image pixels (scaled to the
 *   model input), neighbours sharing at least `overlap` of a tile; `wholeImage` adds one
 *   letterboxed pass over the whole image, whose boxes are merged with the tiles' (large defects).
 */
export const TileSizeSchema = z.number().int().min(32).max(8192);
export const TileOverlapSchema = z.number().min(0).max(0.5);

export const TilingSchema = z.union([
  z.enum(["auto", "off"]),
  z.object({
    /** Tile side in image pixels; each tile is scaled to the model input. */
    tileSize: TileSizeSchema,
    /** Fraction of a tile shared with its neighbour (at least; the last tile is flush with the edge). */
    overlap: TileOverlapSchema.default(0.2),
    /** Also run the whole image letterboxed and merge its boxes with the tiles'. */
    wholeImage: z.boolean().default(false),
  }),
]);
export type Tiling = z.infer<typeof TilingSchema>;

/** What an absent `tiling` means, on both sides of the queue. */
export const DEFAULT_TILING: Tiling = "auto";
