import type { Extent, PixelSize } from "@common/measurements";
import { pixelRatio, sizeToDevicePixels } from "./device-pixels";
import type { Film } from "./film";
import type { FilmView } from "./film-view";
import {
  lengthText,
  type Point,
  pathLength,
  scaleBar,
  snapToPixel,
  valueAt,
  zoomPercent,
} from "./measure-geometry";
import { NextFrame } from "./next-frame";

/** Where the pointer's pixel and value, and the zoom, are written (often: not through page state). */
export type Readout = { cursor: HTMLElement; zoom: HTMLElement; scaleBar: HTMLElement };

/** `ruler`: press and drag; `polyline`: click each point, double-click or Enter ends; `reference`: as the ruler. */
export type MeasureTool = "none" | "ruler" | "polyline" | "reference";

export type Measurement = { id: number; points: Point[] };

export type MeasureState = {
  measurements: Measurement[];
  /** The reference line drawn for calibration, pixel centres at its ends. */
  reference: [Point, Point] | null;
};

const MEASURE_COLOUR = "#00e5ff";
const REFERENCE_COLOUR = "#ffd400";
/** The selected indication's measured length: a colour no class uses. */
const HIGHLIGHT_COLOUR = "#ff4fd8";

/**
 * Measuring over the film: a transparent canvas laid over the film's canvas, redrawn with every
 * frame the film view draws. While a tool is chosen it takes the film's left-button input (the
 * right button still sets window/level, the wheel still zooms); the pointer's pixel and value are
 * read out whatever the tool.
 */
export class MeasureLayer {
  private film: Film | null = null;
  private pixel: PixelSize | null = null;
  private tool: MeasureTool = "none";
  private measurements: Measurement[] = [];
  private draft: Point[] | null = null;
  private dragging = false;
  private reference: [Point, Point] | null = null;
  private highlight: { line: Extent["line"]; label: string } | null = null;
  private nextId = 1;
  private readonly frame = new NextFrame(() => this.draw());
  private readonly unsubscribe: () => void;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly overlay: HTMLCanvasElement,
    private readonly view: FilmView,
    private readonly readout: Readout,
    private readonly onState: (state: MeasureState) => void,
  ) {
    // Capture phase on the canvas itself: these run before the film view's own listeners, so a
    // measuring press never also pans or selects.
    canvas.addEventListener("pointerdown", this.pointerDown, { capture: true });
    canvas.addEventListener("pointermove", this.pointerMove, { capture: true });
    canvas.addEventListener("pointerup", this.pointerUp, { capture: true });
    canvas.addEventListener("pointerleave", this.pointerLeave);
    canvas.addEventListener("dblclick", this.finishPolyline);
    canvas.addEventListener("keydown", this.keyDown);
    this.unsubscribe = view.subscribe(() => this.requestDraw());
  }

  setFilm(film: Film | null): void {
    this.film = film;
    this.requestDraw();
  }

  setPixel(pixel: PixelSize | null): void {
    this.pixel = pixel;
    this.requestDraw();
  }

  setTool(tool: MeasureTool): void {
    this.tool = tool;
    this.draft = null;
    this.dragging = false;
    this.canvas.dataset.measureTool = tool;
    this.canvas.style.cursor = tool === "none" ? "" : "crosshair";
    this.changed();
  }

  /** The selected indication's measured length, drawn along it. */
  setHighlight(highlight: { line: Extent["line"]; label: string } | null): void {
    this.highlight = highlight;
    this.requestDraw();
  }

  clearMeasurements(): void {
    this.measurements = [];
    this.draft = null;
    this.changed();
  }

  clearReference(): void {
    this.reference = null;
    this.changed();
  }

  dispose(): void {
    this.frame.cancel();
    this.unsubscribe();
    this.canvas.removeEventListener("pointerdown", this.pointerDown, { capture: true });
    this.canvas.removeEventListener("pointermove", this.pointerMove, { capture: true });
    this.canvas.removeEventListener("pointerup", this.pointerUp, { capture: true });
    this.canvas.removeEventListener("pointerleave", this.pointerLeave);
    this.canvas.removeEventListener("dblclick", this.finishPolyline);
    this.canvas.removeEventListener("keydown", this.keyDown);
    this.canvas.style.cursor = "";
  }

  /** The view's transform, read back from where it puts image points on screen. */
  private get transform() {
    const origin = this.view.toScreen(0, 0);
    const unit = this.view.toScreen(1, 0);
    return { scale: unit.x - origin.x, tx: origin.x, ty: origin.y };
  }

  private imagePoint(event: PointerEvent | MouseEvent): Point {
    const rect = this.canvas.getBoundingClientRect();
    const { scale, tx, ty } = this.transform;
    return { x: (event.clientX - rect.left - tx) / scale, y: (event.clientY - rect.top - ty) / scale };
  }

  private snapped(event: PointerEvent | MouseEvent): Point {
    return snapToPixel(this.imagePoint(event), this.view.imageSize);
  }

  private readonly pointerDown = (event: PointerEvent) => {
    if (this.tool === "none" || event.button !== 0 || !this.film) return;
    event.stopImmediatePropagation();
    event.preventDefault();
    this.canvas.focus();
    this.canvas.setPointerCapture(event.pointerId);
    const point = this.snapped(event);
    if (this.tool === "polyline") {
      // The last point follows the pointer until the next click fixes it.
      if (this.draft) this.draft.splice(this.draft.length - 1, 1, point, { ...point });
      else this.draft = [point, { ...point }];
    } else {
      this.draft = [point, { ...point }];
      this.dragging = true;
    }
    this.changed();
  };

  private readonly pointerMove = (event: PointerEvent) => {
    const point = this.imagePoint(event);
    const { width, height } = this.view.imageSize;
    const inside = point.x >= 0 && point.y >= 0 && point.x < width && point.y < height;
    const column = Math.floor(point.x);
    const row = Math.floor(point.y);
    this.readout.cursor.textContent =
      inside && this.film ? `x ${column}, y ${row} · value ${valueAt(this.film, column, row)}` : "";
    if (this.draft && (this.dragging || this.tool === "polyline")) {
      this.draft[this.draft.length - 1] = this.snapped(event);
      this.requestDraw();
    }
  };

  private readonly pointerUp = (event: PointerEvent) => {
    if (!this.dragging || !this.draft) return;
    event.stopImmediatePropagation();
    this.dragging = false;
    const [from, to] = this.draft as [Point, Point];
    this.draft = null;
    if (from.x === to.x && from.y === to.y) return this.changed();
    if (this.tool === "reference") this.reference = [from, to];
    else this.measurements = [...this.measurements, { id: this.nextId++, points: [from, to] }];
    this.changed();
  };

  private readonly pointerLeave = () => {
    this.readout.cursor.textContent = "";
  };

  /** Ends the polyline: the point under the pointer is the last one. */
  private readonly finishPolyline = () => {
    if (this.tool !== "polyline" || !this.draft) return;
    const points = this.draft.filter(
      (point, i, all) => i === 0 || point.x !== all[i - 1]?.x || point.y !== all[i - 1]?.y,
    );
    this.draft = null;
    if (points.length >= 2) this.measurements = [...this.measurements, { id: this.nextId++, points }];
    this.changed();
  };

  private readonly keyDown = (event: KeyboardEvent) => {
    if (!this.draft) return;
    if (event.key === "Enter") this.finishPolyline();
    else if (event.key === "Escape") {
      this.draft = null;
      this.dragging = false;
      this.changed();
    } else return;
    event.stopPropagation();
    event.preventDefault();
  };

  private changed(): void {
    this.onState({ measurements: this.measurements, reference: this.reference });
    this.requestDraw();
  }

  private requestDraw(): void {
    this.frame.request();
  }

  private draw(): void {
    const { overlay, canvas } = this;
    const ratio = pixelRatio();
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    overlay.style.left = `${canvas.offsetLeft}px`;
    overlay.style.top = `${canvas.offsetTop}px`;
    overlay.style.width = `${width}px`;
    overlay.style.height = `${height}px`;
    sizeToDevicePixels(overlay, width, height);
    const context = overlay.getContext("2d");
    if (!context) return;
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, width, height);
    if (!this.film) return;
    for (const measurement of this.measurements)
      this.drawPath(context, measurement.points, MEASURE_COLOUR, false);
    if (this.reference) this.drawPath(context, this.reference, REFERENCE_COLOUR, false, "reference");
    if (this.highlight) this.drawHighlight(context, this.highlight);
    if (this.draft) {
      const colour = this.tool === "reference" ? REFERENCE_COLOUR : MEASURE_COLOUR;
      this.drawPath(context, this.draft, colour, true);
    }
    this.drawScaleBar(context, height);
    this.readout.zoom.textContent = `Zoom ${zoomPercent(this.transform.scale)}`;
  }

  private drawPath(
    context: CanvasRenderingContext2D,
    points: readonly Point[],
    colour: string,
    dashed: boolean,
    prefix?: string,
  ): void {
    const screen = points.map((point) => this.view.toScreen(point.x, point.y));
    context.strokeStyle = colour;
    context.lineWidth = 2;
    context.setLineDash(dashed ? [6, 4] : []);
    context.beginPath();
    for (const [i, point] of screen.entries()) {
      if (i === 0) context.moveTo(point.x, point.y);
      else context.lineTo(point.x, point.y);
    }
    context.stroke();
    context.setLineDash([]);
    context.fillStyle = colour;
    for (const point of screen) context.fillRect(point.x - 3, point.y - 3, 6, 6);
    const last = screen.at(-1) as Point;
    const length = pathLength(points, prefix ? null : this.pixel);
    const label = `${prefix ? `${prefix} ` : ""}${lengthText(length, !prefix && this.pixel !== null)}`;
    this.drawLabel(context, label, last.x + 8, last.y - 8, colour);
  }

  private drawHighlight(
    context: CanvasRenderingContext2D,
    { line, label }: NonNullable<MeasureLayer["highlight"]>,
  ) {
    const a = this.view.toScreen(line.x1, line.y1);
    const b = this.view.toScreen(line.x2, line.y2);
    context.strokeStyle = HIGHLIGHT_COLOUR;
    context.lineWidth = 2;
    context.setLineDash([3, 3]);
    context.beginPath();
    context.moveTo(a.x, a.y);
    context.lineTo(b.x, b.y);
    context.stroke();
    context.setLineDash([]);
    this.drawLabel(context, label, Math.max(a.x, b.x) + 8, Math.max(a.y, b.y) + 16, HIGHLIGHT_COLOUR);
  }

  private drawLabel(context: CanvasRenderingContext2D, text: string, x: number, y: number, colour: string) {
    context.font = "13px system-ui, sans-serif";
    const width = context.measureText(text).width + 8;
    context.fillStyle = "rgba(0, 0, 0, 0.75)";
    context.fillRect(x, y - 15, width, 19);
    context.fillStyle = colour;
    context.fillText(text, x + 4, y);
  }

  private drawScaleBar(context: CanvasRenderingContext2D, height: number): void {
    const bar = scaleBar(this.transform.scale, this.pixel);
    this.readout.scaleBar.textContent = `Scale bar ${bar.label}`;
    const x = 12;
    const y = height - 16;
    context.fillStyle = "rgba(0, 0, 0, 0.6)";
    context.fillRect(x - 6, y - 22, Math.max(bar.cssLength, context.measureText(bar.label).width) + 12, 32);
    context.fillStyle = "#fff";
    context.fillRect(x, y, bar.cssLength, 3);
    context.fillRect(x, y - 5, 2, 8);
    context.fillRect(x + bar.cssLength - 2, y - 5, 2, 8);
    context.font = "12px system-ui, sans-serif";
    context.fillText(bar.label, x, y - 8);
  }
}
