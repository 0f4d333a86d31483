import { sizeInMm } from "@common/measurement-math";
import type { PixelSize } from "@common/measurements";
import { concatTransformationMatrix, drawObject, popGraphicsState, pushGraphicsState, rgb } from "pdf-lib";
import { measuredExtent, type ReviewItem } from "../reviews/reviewed-set";
import type { Embedded, NotEmbedded } from "./embed-image";
import {
  CONTENT_WIDTH,
  DECISION_COLOURS,
  IMAGE_MAX_HEIGHT,
  INK,
  MARGIN,
  MUTED,
  ROW_HEIGHT,
  RULE,
  type Writer,
} from "./pdf-layout";
import type { ReportImage } from "./report-input";
import { fitted } from "./text";

const fmt = (value: number, digits = 1) => value.toFixed(digits);

/**
 * The indication's length × width in mm: its measured extent (a slanted crack's own length) while
 * its box is the model's, else its box's longer × shorter side, marked `*` (explained under the table).
 */
const mmSize = (item: ReviewItem, pixel: PixelSize) => {
  const size = sizeInMm(item.box, pixel, measuredExtent(item));
  return `${fmt(size.length, 2)}×${fmt(size.breadth, 2)}${size.measured ? "" : "*"}`;
};

/** Draws the radiograph (or its frame) scaled into the content width, with the reviewed boxes. */
function drawImageArea(
  w: Writer,
  image: ReportImage,
  embedded: Embedded | NotEmbedded | null,
  missingReason: string | null,
): void {
  const scale = Math.min(CONTENT_WIDTH / image.width, IMAGE_MAX_HEIGHT / image.height);
  const width = image.width * scale;
  const height = image.height * scale;
  const x = MARGIN;
  const y = w.y - height - 4;
  if (embedded && "ref" in embedded) {
    const name = w.page.node.newXObject("Radiograph", embedded.ref);
    w.page.pushOperators(
      pushGraphicsState(),
      concatTransformationMatrix(width, 0, 0, height, x, y),
      drawObject(name),
      popGraphicsState(),
    );
  } else {
    w.page.drawRectangle({
      x,
      y,
      width,
      height,
      color: rgb(0.93, 0.93, 0.93),
      borderColor: RULE,
      borderWidth: 0.5,
    });
    const reason = missingReason ?? (embedded && "reason" in embedded ? embedded.reason : "not embedded");
    w.page.drawText(fitted(w.fonts.regular, `Image not embedded: ${reason}`, 8, width - 8), {
      x: x + 4,
      y: y + height - 12,
      size: 8,
      font: w.fonts.regular,
      color: MUTED,
    });
  }
  image.items.forEach((item, index) => {
    if (item.decision === "rejected") return;
    const colour = DECISION_COLOURS[item.decision];
    const bx = x + item.box.x1 * scale;
    const by = y + (image.height - item.box.y2) * scale;
    w.page.drawRectangle({
      x: bx,
      y: by,
      width: (item.box.x2 - item.box.x1) * scale,
      height: (item.box.y2 - item.box.y1) * scale,
      borderColor: colour,
      borderWidth: 1.5,
    });
    w.page.drawText(String(index + 1), {
      x: bx + 1,
      y: by + (item.box.y2 - item.box.y1) * scale + 2,
      size: 7,
      font: w.fonts.bold,
      color: colour,
    });
  });
  w.y = y - 6;
}

/** One image's pages: title, the radiograph with its boxes, the table of its indications. */
export function imageSection(
  w: Writer,
  image: ReportImage,
  position: number,
  total: number,
  embedded: Embedded | NotEmbedded | null,
  missingReason: string | null,
): void {
  w.newPage();
  const name = image.filename ?? image.imageId;
  w.line(`Image ${position} of ${total}: ${name}`, 11, { bold: true });
  const pixel = image.pixelSizeMm
    ? `pixel ${image.pixelSizeMm.x}×${image.pixelSizeMm.y} mm (${image.pixelSizeSource})`
    : "pixel size unknown";
  w.line(
    `job ${image.jobId} · ${image.width}×${image.height} px · ${pixel} · review version ${image.reviewVersion}`,
    8,
    { colour: MUTED },
  );
  drawImageArea(w, image, embedded, missingReason);

  const mm = image.pixelSizeMm;
  const columns: Array<[number, number]> = mm
    ? [
        [0, 18],
        [18, 92],
        [110, 110],
        [220, 64],
        [284, 70],
        [354, 34],
        [388, 46],
        [434, 81],
      ]
    : [
        [0, 18],
        [18, 112],
        [130, 140],
        [270, 80],
        [350, 40],
        [390, 50],
        [440, 75],
      ];
  const headings = mm
    ? ["#", "Class", "Position x1,y1-x2,y2 px", "Box px", "L×W mm", "Score", "Source", "Decision"]
    : ["#", "Class", "Position x1,y1-x2,y2 px", "Box px", "Score", "Source", "Decision"];
  const heading = () => w.row(headings, columns, { bold: true });
  heading();
  if (image.items.length === 0) w.row(["", "No indications"], columns);
  image.items.forEach((item, index) => {
    if (w.ensure(ROW_HEIGHT * 2)) {
      w.line(`Image ${position} of ${total}: ${name} (continued)`, 10, { bold: true });
      heading();
    }
    const { x1, y1, x2, y2 } = item.box;
    const size = `${fmt(x2 - x1)}×${fmt(y2 - y1)}`;
    const cells = [
      String(index + 1),
      `${item.classId} ${item.label}`,
      `${fmt(x1)},${fmt(y1)}-${fmt(x2)},${fmt(y2)}`,
      size,
      ...(mm ? [mmSize(item, mm)] : []),
      item.original ? item.original.score.toFixed(2) : "-",
      item.source === "model" ? "model" : "reviewer",
      item.decision,
    ];
    w.row(cells, columns, { colour: item.decision === "rejected" ? MUTED : INK });
    if (item.note) {
      w.y -= 10;
      w.text(`Note: ${item.note}`, MARGIN + 18, 7, { colour: MUTED });
    }
  });
  if (mm && image.items.length > 0) {
    w.y -= 4;
    w.paragraph(
      "L×W: the indication's longest extent and its width across it, measured on the film; * from its box's sides (drawn or resized in review, or too faint to measure).",
      7,
      { colour: MUTED },
    );
  }
}
