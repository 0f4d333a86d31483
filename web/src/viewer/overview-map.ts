import { pixelRatio, sizeToDevicePixels } from "./device-pixels";
import type { FilmView } from "./film-view";

/** The overview's largest size, CSS pixels: a weld strip spans the width, a square film stays small. */
export const OVERVIEW_MAX_HEIGHT = 72;

/**
 * A thumbnail of the whole film with the region in view outlined. Pressing or dragging on it
 * centres the view there. The thumbnail is redrawn from the film view's own rendering only when
 * the window changed; each frame redraws the outline.
 */
export class OverviewMap {
  private readonly thumbnail = document.createElement("canvas");
  private version = -1;
  private dragging = false;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly view: FilmView,
  ) {
    this.unsubscribe = view.subscribe(() => this.draw());
    canvas.addEventListener("pointerdown", this.pointerDown);
    canvas.addEventListener("pointermove", this.pointerMove);
    canvas.addEventListener("pointerup", this.pointerUp);
    canvas.addEventListener("pointercancel", this.pointerUp);
  }

  dispose(): void {
    this.unsubscribe();
    this.canvas.removeEventListener("pointerdown", this.pointerDown);
    this.canvas.removeEventListener("pointermove", this.pointerMove);
    this.canvas.removeEventListener("pointerup", this.pointerUp);
    this.canvas.removeEventListener("pointercancel", this.pointerUp);
  }

  /** Thumbnail pixels per image pixel: the film fits the width available and the height allowed. */
  private get scale(): number {
    const image = this.view.imageSize;
    const room = this.canvas.parentElement?.clientWidth ?? this.canvas.clientWidth;
    if (!image.width || !room) return 0;
    return Math.min(room / image.width, OVERVIEW_MAX_HEIGHT / image.height);
  }

  private draw(): void {
    const image = this.view.imageSize;
    const scale = this.scale;
    if (!scale) return;
    const width = Math.max(1, Math.round(image.width * scale));
    const height = Math.max(1, Math.round(image.height * scale));
    const ratio = pixelRatio();
    if (sizeToDevicePixels(this.canvas, width, height)) {
      this.canvas.style.width = `${width}px`;
      this.canvas.style.height = `${height}px`;
      this.version = -1;
    }
    const rendering = this.view.rendering;
    if (rendering.version !== this.version) {
      this.thumbnail.width = this.canvas.width;
      this.thumbnail.height = this.canvas.height;
      const context = this.thumbnail.getContext("2d") as CanvasRenderingContext2D;
      context.imageSmoothingQuality = "high";
      context.drawImage(rendering.canvas, 0, 0, this.thumbnail.width, this.thumbnail.height);
      this.version = rendering.version;
    }
    const context = this.canvas.getContext("2d") as CanvasRenderingContext2D;
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.drawImage(this.thumbnail, 0, 0);
    const shown = this.view.visible;
    const s = scale * ratio;
    const rect = {
      x: shown.x1 * s,
      y: shown.y1 * s,
      w: (shown.x2 - shown.x1) * s,
      h: (shown.y2 - shown.y1) * s,
    };
    // Dim what is out of view, outline what is in it.
    context.fillStyle = "rgba(0, 0, 0, 0.45)";
    context.fillRect(0, 0, this.canvas.width, rect.y);
    context.fillRect(0, rect.y + rect.h, this.canvas.width, this.canvas.height - rect.y - rect.h);
    context.fillRect(0, rect.y, rect.x, rect.h);
    context.fillRect(rect.x + rect.w, rect.y, this.canvas.width - rect.x - rect.w, rect.h);
    context.strokeStyle = "#f5a300";
    context.lineWidth = 2 * ratio;
    context.strokeRect(
      rect.x + ratio,
      rect.y + ratio,
      Math.max(0, rect.w - 2 * ratio),
      Math.max(0, rect.h - 2 * ratio),
    );
    this.canvas.dataset.visible = JSON.stringify({
      x: Math.round(rect.x / ratio),
      width: Math.round(rect.w / ratio),
    });
  }

  private centreAt(event: PointerEvent): void {
    const bounds = this.canvas.getBoundingClientRect();
    const scale = this.scale;
    if (!scale) return;
    this.view.centreOn({ x: (event.clientX - bounds.left) / scale, y: (event.clientY - bounds.top) / scale });
  }

  private readonly pointerDown = (event: PointerEvent) => {
    this.canvas.setPointerCapture(event.pointerId);
    this.dragging = true;
    this.centreAt(event);
  };

  private readonly pointerMove = (event: PointerEvent) => {
    if (this.dragging) this.centreAt(event);
  };

  private readonly pointerUp = () => {
    this.dragging = false;
  };
}
