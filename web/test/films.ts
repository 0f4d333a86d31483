import { encodePng } from "@generator/png";
import { deriveSeed } from "@generator/prng";
import { renderSample } from "@generator/sample";
import sharp from "sharp";

/**
 * A weld radiograph from the project's own film generator (the one the shipped model was trained
 * on), so the viewer is exercised, and photographed for the README, on a realistic film.
 */
export async function weldFilm(): Promise<{
  png: Buffer;
  width: number;
  height: number;
  valueAt(x: number, y: number): number;
}> {
  const sample = renderSample(deriveSeed(2024, "shipped", 1), { imgsz: 640 });
  const png = await encodePng(sample.image, 8);
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  return {
    png,
    width: info.width,
    height: info.height,
    /** The stored 8-bit value of a pixel, as the browser decodes it. */
    valueAt: (x, y) => data[(Math.floor(y) * info.width + Math.floor(x)) * info.channels] as number,
  };
}

/** A film big enough for the stand-in inference's boxes (up to x 260, y 129). */
export const STUB_FILM = { width: 320, height: 240 } as const;
