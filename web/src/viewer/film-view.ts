import type { WindowLevel } from "@common/imaging/intensity";
import { type Film, renderFilm } from "./film";
import type { Box } from "./geometry";
import { boxFromCorners, type Handle, handleAt, hitBox, resizeBox } from "./geometry";

/** One box drawn over the film, in image pixels. */
export type Overlay = {
  key: string;
  box: Box;
  colour: string;
  caption: string;
  selected: boolean;
  dashed: boolean;
};

export type FilmViewEvents = {
  onSelect(key: string | null): void;
  /** A box drawn in draw mode (image pixels). */
  onDraw(box: Box): void;
  /** The selected box after one of its handles was dragged (image pixels). */
  onResize(key: string, box: Box): void;
};

type Drag =
  | { kind: "pan"; x: number; y: number }
  | { kind: "draw"; from: { x: number; y: number }; to: { x: number; y: number } }
  | { kind: "resize"; key: string; handle: Handle; box: Box };

const MIN_SCALE = 0.02;
const MAX_SCALE = 32;

/**
 * The film on a canvas. The decoded film's stored values are rendered into an image-sized "film"
 * canvas, once per window/level change; each frame draws that canvas through one transform and the
 * boxes on top, so zooming and panning a large radiograph never decodes, re-maps or copies pixels
 * again. Frames are coalesced into animation frames.
 */
export class FilmView {
  private readonly film = document.createElement("canvas");
  private source: Film | null = null;
  private windowed: ImageData | null = null;
  private scale = 1;
  private tx = 0;
  private ty = 0;
  private overlays: Overlay[] = [];
  private drag: Drag | null = null;
  private frame = 0;
  private mode: "select" | "draw" = "select";
  /** Set until the image has been fitted to a laid-out canvas. */
  private needsFit = false;
  private readonly resizeObserver: ResizeObserver;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly events: FilmViewEvents,
  ) {
    this.resizeObserver = new ResizeObserver(() => this.resizeToLayout());
    this.resizeObserver.observe(canvas);
    canvas.addEventListener("pointerdown", this.pointerDown);
    canvas.addEventListener("pointermove", this.pointerMove);
    canvas.addEventListener("pointerup", this.pointerUp);
    canvas.addEventListener("pointercancel", this.pointerUp);
    canvas.addEventListener("wheel", this.wheel, { passive: false });
  }

  get imageSize() {
    return { width: this.film.width, height: this.film.height };
  }

  /** Takes a decoded film; it is shown once a window is set. */
  setImage(film: Film): void {
    this.film.width = film.width;
    this.film.height = film.height;
    this.source = film;
    this.windowed = new ImageData(film.width, film.height);
    this.needsFit = true;
    this.fit();
  }

  /** Renders the film's stored values through a window (in its modality values) with the shared mapping. */
  setWindow(window: WindowLevel): void {
    if (!this.source || !this.windowed) return;
    renderFilm(this.source, window, this.windowed.data);
    (this.film.getContext("2d") as CanvasRenderingContext2D).putImageData(this.windowed, 0, 0);
    this.requestDraw();
  }

  setOverlays(overlays: Overlay[]): void {
    this.overlays = overlays;
    this.requestDraw();
  }

  setMode(mode: "select" | "draw"): void {
    this.mode = mode;
    this.canvas.style.cursor = mode === "draw" ? "crosshair" : "grab";
  }

  /** Whole image in view, centred. */
  fit(): void {
    const { clientWidth, clientHeight } = this.canvas;
    if (!this.film.width || !clientWidth) return;
    this.needsFit = false;
    this.scale = Math.min(clientWidth / this.film.width, clientHeight / this.film.height);
    this.tx = (clientWidth - this.film.width * this.scale) / 2;
    this.ty = (clientHeight - this.film.height * this.scale) / 2;
    this.requestDraw();
  }

  /** Zooms by a factor around a point of the canvas (its centre by default). */
  zoomBy(factor: number, at = { x: this.canvas.clientWidth / 2, y: this.canvas.clientHeight / 2 }): void {
    const next = Math.min(MAX_SCALE, Math.max(MIN_SCALE, this.scale * factor));
    this.tx = at.x - ((at.x - this.tx) * next) / this.scale;
    this.ty = at.y - ((at.y - this.ty) * next) / this.scale;
    this.scale = next;
    this.requestDraw();
  }

  panBy(dx: number, dy: number): void {
    this.tx += dx;
    this.ty += dy;
    this.requestDraw();
  }

  /** Screen (CSS pixel) position of an image point, for tests and keyboard focus. */
  toScreen(x: number, y: number) {
    return { x: x * this.scale + this.tx, y: y * this.scale + this.ty };
  }

  dispose(): void {
    cancelAnimationFrame(this.frame);
    this.resizeObserver.disconnect();
    this.canvas.removeEventListener("pointerdown", this.pointerDown);
    this.canvas.removeEventListener("pointermove", this.pointerMove);
    this.canvas.removeEventListener("pointerup", this.pointerUp);
    this.canvas.removeEventListener("pointercancel", this.pointerUp);
    this.canvas.removeEventListener("wheel", this.wheel);
  }

  private toImage(event: PointerEvent | WheelEvent) {
    const rect = this.canvas.getBoundingClientRect();
    const x = event.clientX - rect.left;
    const y = event.clientY - rect.top;
    return { screen: { x, y }, image: { x: (x - this.tx) / this.scale, y: (y - this.ty) / this.scale } };
  }

  private readonly pointerDown = (event: PointerEvent) => {
    if (!this.source) return;
    this.canvas.setPointerCapture(event.pointerId);
    const { screen, image } = this.toImage(event);
    const selected = this.overlays.find((overlay) => overlay.selected);
    const handle = selected && handleAt(selected.box, image, 8 / this.scale);
    if (selected && handle) {
      this.drag = { kind: "resize", key: selected.key, handle, box: selected.box };
    } else if (this.mode === "draw") {
      this.drag = { kind: "draw", from: image, to: image };
    } else {
      // Topmost (last drawn) box under the pointer wins.
      const hit = [...this.overlays].reverse().find((overlay) => hitBox(overlay.box, image));
      this.events.onSelect(hit?.key ?? null);
      this.drag = { kind: "pan", x: screen.x, y: screen.y };
    }
  };

  private readonly pointerMove = (event: PointerEvent) => {
    if (!this.drag) return;
    const { screen, image } = this.toImage(event);
    if (this.drag.kind === "pan") {
      this.panBy(screen.x - this.drag.x, screen.y - this.drag.y);
      this.drag = { kind: "pan", x: screen.x, y: screen.y };
    } else if (this.drag.kind === "draw") {
      this.drag.to = image;
      this.requestDraw();
    } else {
      this.drag.box = resizeBox(this.drag.box, this.drag.handle, image, this.imageSize);
      this.requestDraw();
    }
  };

  private readonly pointerUp = () => {
    const drag = this.drag;
    this.drag = null;
    if (drag?.kind === "draw") {
      const box = boxFromCorners(drag.from, drag.to, this.imageSize);
      // A click without a drag is not a box.
      if (box.x2 - box.x1 >= 2 && box.y2 - box.y1 >= 2) this.events.onDraw(box);
    } else if (drag?.kind === "resize") {
      this.events.onResize(drag.key, drag.box);
    }
    this.requestDraw();
  };

  private readonly wheel = (event: WheelEvent) => {
    event.preventDefault();
    this.zoomBy(Math.exp(-event.deltaY * 0.0015), this.toImage(event).screen);
  };

  private resizeToLayout(): void {
    const ratio = devicePixelRatio || 1;
    const width = Math.round(this.canvas.clientWidth * ratio);
    const height = Math.round(this.canvas.clientHeight * ratio);
    if (this.canvas.width === width && this.canvas.height === height) return;
    this.canvas.width = width;
    this.canvas.height = height;
    if (this.needsFit) this.fit();
    this.requestDraw();
  }

  private requestDraw(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  private draw(): void {
    const context = this.canvas.getContext("2d");
    if (!context) return;
    const ratio = devicePixelRatio || 1;
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.fillStyle = "#111";
    context.fillRect(0, 0, this.canvas.width, this.canvas.height);
    context.setTransform(this.scale * ratio, 0, 0, this.scale * ratio, this.tx * ratio, this.ty * ratio);
    // Pixels stay crisp when magnified: inspectors look at single-pixel indications.
    context.imageSmoothingEnabled = this.scale < 1;
    context.drawImage(this.film, 0, 0);
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    const resizing = this.drag?.kind === "resize" ? this.drag : null;
    for (const overlay of this.overlays) {
      const box = resizing && resizing.key === overlay.key ? resizing.box : overlay.box;
      this.drawBox(context, box, overlay);
    }
    if (this.drag?.kind === "draw") {
      const box = boxFromCorners(this.drag.from, this.drag.to, this.imageSize);
      this.drawBox(context, box, { colour: "#FFFFFF", caption: "new", selected: true, dashed: true });
    }
    this.canvas.dataset.transform = JSON.stringify({ scale: this.scale, tx: this.tx, ty: this.ty });
  }

  private drawBox(
    context: CanvasRenderingContext2D,
    box: Box,
    style: Pick<Overlay, "colour" | "caption" | "selected" | "dashed">,
  ): void {
    const a = this.toScreen(box.x1, box.y1);
    const b = this.toScreen(box.x2, box.y2);
    context.strokeStyle = style.colour;
    context.lineWidth = style.selected ? 3 : 2;
    context.setLineDash(style.dashed ? [6, 4] : []);
    context.strokeRect(a.x, a.y, b.x - a.x, b.y - a.y);
    context.setLineDash([]);
    context.font = "12px system-ui, sans-serif";
    const width = context.measureText(style.caption).width + 8;
    const top = a.y >= 18 ? a.y - 18 : b.y;
    context.fillStyle = style.colour;
    context.fillRect(a.x, top, width, 18);
    context.fillStyle = "#000";
    context.fillText(style.caption, a.x + 4, top + 13);
    if (style.selected) {
      context.fillStyle = style.colour;
      for (const corner of [a, b, { x: a.x, y: b.y }, { x: b.x, y: a.y }])
        context.fillRect(corner.x - 4, corner.y - 4, 8, 8);
    }
  }
}
