import type { WindowLevel } from "@common/imaging/intensity";
import { CAPTION_HEIGHT, type CaptionMode, placeCaptions } from "./caption-layout";
import { pixelRatio, sizeToDevicePixels } from "./device-pixels";
import { type Film, renderFilm } from "./film";
import type { Box } from "./geometry";
import {
  boxFromCorners,
  centreTransform,
  type FitKind,
  fitTransform,
  type Handle,
  handleAt,
  hitBox,
  initialFit,
  resizeBox,
  stepTransform,
  type Transform,
  visibleRegion,
} from "./geometry";
import { NextFrame } from "./next-frame";
import { dragWindow, type ValueRange } from "./window-presets";

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
  /** A window/level set by dragging with the right button. */
  onWindow(window: WindowLevel): void;
};

type Drag =
  | { kind: "pan"; x: number; y: number }
  | { kind: "draw"; from: { x: number; y: number }; to: { x: number; y: number } }
  | { kind: "resize"; key: string; handle: Handle; box: Box }
  | { kind: "window"; x: number; y: number; start: WindowLevel };

const MIN_SCALE = 0.02;
const MAX_SCALE = 32;

/** What the overview map needs after each frame: the region in view and the film canvas. */
export type ViewListener = (view: FilmView) => void;

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
  private window: WindowLevel | null = null;
  private windowRange: ValueRange | null = null;
  /** Counts window renders, so the overview map redraws its thumbnail only when the film changed. */
  private rendered = 0;
  private t: Transform = { scale: 1, tx: 0, ty: 0 };
  private overlays: Overlay[] = [];
  private captions: CaptionMode = "on";
  private hovered: string | null = null;
  private drag: Drag | null = null;
  private readonly frame = new NextFrame(() => {
    this.draw();
    for (const listener of this.listeners) listener(this);
  });
  private mode: "select" | "draw" = "select";
  /** The fit to apply once the canvas is laid out (set by a new image). */
  private pendingFit: FitKind | "initial" | null = null;
  /** The fit in force until the user zooms or pans, re-applied when the canvas changes size. */
  private fitted: FitKind | null = null;
  private readonly listeners = new Set<ViewListener>();
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
    canvas.addEventListener("pointerleave", this.pointerLeave);
    canvas.addEventListener("wheel", this.wheel, { passive: false });
    canvas.addEventListener("contextmenu", this.contextMenu);
  }

  get imageSize() {
    return { width: this.film.width, height: this.film.height };
  }

  private get viewSize() {
    return { width: this.canvas.clientWidth, height: this.canvas.clientHeight };
  }

  /** The image canvas at the current window (for the overview map) and how often it was rendered. */
  get rendering() {
    return { canvas: this.film, version: this.rendered };
  }

  /** The part of the film in view, image pixels. */
  get visible(): Box {
    return visibleRegion(this.t, this.imageSize, this.viewSize);
  }

  /** Takes a decoded film; it is shown once a window is set. */
  setImage(film: Film): void {
    this.film.width = film.width;
    this.film.height = film.height;
    this.source = film;
    this.windowed = new ImageData(film.width, film.height);
    this.pendingFit = "initial";
    this.fitTo("initial");
  }

  /** Renders the film's stored values through a window (in its modality values) with the shared mapping. */
  setWindow(window: WindowLevel): void {
    this.window = window;
    if (!this.source || !this.windowed) return;
    renderFilm(this.source, window, this.windowed.data);
    (this.film.getContext("2d") as CanvasRenderingContext2D).putImageData(this.windowed, 0, 0);
    this.rendered++;
    this.requestDraw();
  }

  /** The values right-drag window/level keeps the window within. */
  setWindowRange(range: ValueRange | null): void {
    this.windowRange = range;
  }

  setOverlays(overlays: Overlay[]): void {
    this.overlays = overlays;
    this.requestDraw();
  }

  setCaptions(mode: CaptionMode): void {
    this.captions = mode;
    this.requestDraw();
  }

  setMode(mode: "select" | "draw"): void {
    this.mode = mode;
    this.canvas.style.cursor = mode === "draw" ? "crosshair" : "grab";
  }

  /** Whole image in view, centred. */
  fit(): void {
    this.fitTo("page");
  }

  /** The film's width fills the canvas. */
  fitWidth(): void {
    this.fitTo("width");
  }

  /** The film's height fills the canvas: a weld strip, read along its length. */
  fitHeight(): void {
    this.fitTo("height");
  }

  /** One screen along the film's long axis, keeping a little of the last one in view. */
  step(direction: 1 | -1): void {
    this.setTransform(stepTransform(this.t, direction, this.imageSize, this.viewSize));
  }

  /** Centres the view on an image point, as far as the film's ends allow (the overview map). */
  centreOn(point: { x: number; y: number }): void {
    this.setTransform(centreTransform(this.t, point, this.imageSize, this.viewSize));
  }

  /** Zooms by a factor around a point of the canvas (its centre by default). */
  zoomBy(factor: number, at = { x: this.canvas.clientWidth / 2, y: this.canvas.clientHeight / 2 }): void {
    const { scale, tx, ty } = this.t;
    const next = Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale * factor));
    this.fitted = null;
    this.setTransform({
      scale: next,
      tx: at.x - ((at.x - tx) * next) / scale,
      ty: at.y - ((at.y - ty) * next) / scale,
    });
  }

  panBy(dx: number, dy: number): void {
    this.fitted = null;
    this.setTransform({ ...this.t, tx: this.t.tx + dx, ty: this.t.ty + dy });
  }

  /** Screen (CSS pixel) position of an image point, for tests and keyboard focus. */
  toScreen(x: number, y: number) {
    return { x: x * this.t.scale + this.t.tx, y: y * this.t.scale + this.t.ty };
  }

  /** Calls the listener after every frame drawn, until the returned function is called. */
  subscribe(listener: ViewListener): () => void {
    this.listeners.add(listener);
    this.requestDraw();
    return () => this.listeners.delete(listener);
  }

  dispose(): void {
    this.frame.cancel();
    this.listeners.clear();
    this.resizeObserver.disconnect();
    this.canvas.removeEventListener("pointerdown", this.pointerDown);
    this.canvas.removeEventListener("pointermove", this.pointerMove);
    this.canvas.removeEventListener("pointerup", this.pointerUp);
    this.canvas.removeEventListener("pointercancel", this.pointerUp);
    this.canvas.removeEventListener("pointerleave", this.pointerLeave);
    this.canvas.removeEventListener("wheel", this.wheel);
    this.canvas.removeEventListener("contextmenu", this.contextMenu);
  }

  /** The whole film, its width or its height fills the canvas ("initial": the fit a film opens with). */
  fitTo(kind: FitKind | "initial"): void {
    const view = this.viewSize;
    if (!this.film.width || !view.width) return;
    this.pendingFit = null;
    this.fitted = kind === "initial" ? initialFit(this.imageSize, view) : kind;
    this.setTransform(fitTransform(this.fitted, this.imageSize, view, this.t));
  }

  private setTransform(t: Transform): void {
    this.t = t;
    this.requestDraw();
  }

  private toImage(event: PointerEvent | WheelEvent) {
    const rect = this.canvas.getBoundingClientRect();
    const x = event.clientX - rect.left;
    const y = event.clientY - rect.top;
    const { scale, tx, ty } = this.t;
    return { screen: { x, y }, image: { x: (x - tx) / scale, y: (y - ty) / scale } };
  }

  /** Topmost (last drawn) box under an image point. */
  private overlayAt(point: { x: number; y: number }) {
    return [...this.overlays].reverse().find((overlay) => hitBox(overlay.box, point));
  }

  private readonly pointerDown = (event: PointerEvent) => {
    if (!this.source) return;
    this.canvas.setPointerCapture(event.pointerId);
    const { screen, image } = this.toImage(event);
    if (event.button === 2) {
      if (this.window) this.drag = { kind: "window", x: screen.x, y: screen.y, start: this.window };
      return;
    }
    const selected = this.overlays.find((overlay) => overlay.selected);
    const handle = selected && handleAt(selected.box, image, 8 / this.t.scale);
    if (selected && handle) {
      this.drag = { kind: "resize", key: selected.key, handle, box: selected.box };
    } else if (this.mode === "draw") {
      this.drag = { kind: "draw", from: image, to: image };
    } else {
      this.events.onSelect(this.overlayAt(image)?.key ?? null);
      this.drag = { kind: "pan", x: screen.x, y: screen.y };
    }
  };

  private readonly pointerMove = (event: PointerEvent) => {
    const { screen, image } = this.toImage(event);
    if (!this.drag) {
      this.hover(this.overlayAt(image)?.key ?? null);
    } else if (this.drag.kind === "pan") {
      this.panBy(screen.x - this.drag.x, screen.y - this.drag.y);
      this.drag = { kind: "pan", x: screen.x, y: screen.y };
    } else if (this.drag.kind === "window") {
      if (!this.windowRange) return;
      const move = { dx: screen.x - this.drag.x, dy: screen.y - this.drag.y };
      this.events.onWindow(dragWindow(this.drag.start, move, this.viewSize, this.windowRange));
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

  private readonly pointerLeave = () => this.hover(null);

  private hover(key: string | null): void {
    if (key === this.hovered) return;
    this.hovered = key;
    if (this.captions === "hover") this.requestDraw();
  }

  private readonly wheel = (event: WheelEvent) => {
    event.preventDefault();
    this.zoomBy(Math.exp(-event.deltaY * 0.0015), this.toImage(event).screen);
  };

  /** The right button sets window/level on the film, so its menu would only get in the way. */
  private readonly contextMenu = (event: Event) => event.preventDefault();

  private resizeToLayout(): void {
    if (!sizeToDevicePixels(this.canvas, this.canvas.clientWidth, this.canvas.clientHeight)) return;
    // Stepping keeps the fit's scale, so a strip read at fit height still fills a resized canvas.
    const fit = this.pendingFit ?? this.fitted;
    if (fit) this.fitTo(fit);
    this.requestDraw();
  }

  private requestDraw(): void {
    this.frame.request();
  }

  private draw(): void {
    const context = this.canvas.getContext("2d");
    if (!context) return;
    const ratio = pixelRatio();
    const { scale, tx, ty } = this.t;
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.fillStyle = "#111";
    context.fillRect(0, 0, this.canvas.width, this.canvas.height);
    context.setTransform(scale * ratio, 0, 0, scale * ratio, tx * ratio, ty * ratio);
    // Pixels stay crisp when magnified: inspectors look at single-pixel indications.
    context.imageSmoothingEnabled = scale < 1;
    context.drawImage(this.film, 0, 0);
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    this.drawOverlays(context);
    const visible = this.visible;
    this.canvas.dataset.transform = JSON.stringify(this.t);
    this.canvas.dataset.visible = JSON.stringify({
      x1: Math.round(visible.x1),
      y1: Math.round(visible.y1),
      x2: Math.round(visible.x2),
      y2: Math.round(visible.y2),
    });
  }

  private drawOverlays(context: CanvasRenderingContext2D): void {
    const resizing = this.drag?.kind === "resize" ? this.drag : null;
    const boxes = this.overlays.map((overlay) => ({
      overlay,
      box: resizing && resizing.key === overlay.key ? resizing.box : overlay.box,
    }));
    for (const { overlay, box } of boxes) this.strokeBox(context, box, overlay);
    if (this.drag?.kind === "draw") {
      const box = boxFromCorners(this.drag.from, this.drag.to, this.imageSize);
      const style = { colour: "#FFFFFF", caption: "new", selected: true, dashed: true };
      this.strokeBox(context, box, style);
      this.drawCaptions(context, [{ box, style }]);
      return;
    }
    const captioned = boxes
      .filter(
        ({ overlay }) =>
          this.captions === "on" || (this.captions === "hover" && this.hovered === overlay.key),
      )
      // The selected box's caption is placed first, so it is never the one left out.
      .sort((a, b) => Number(b.overlay.selected) - Number(a.overlay.selected));
    this.canvas.dataset.captions = String(
      this.drawCaptions(
        context,
        captioned.map(({ overlay, box }) => ({ box, style: overlay })),
      ),
    );
  }

  private strokeBox(
    context: CanvasRenderingContext2D,
    box: Box,
    style: Pick<Overlay, "colour" | "selected" | "dashed">,
  ) {
    const a = this.toScreen(box.x1, box.y1);
    const b = this.toScreen(box.x2, box.y2);
    context.strokeStyle = style.colour;
    context.lineWidth = style.selected ? 3 : 2;
    context.setLineDash(style.dashed ? [6, 4] : []);
    context.strokeRect(a.x, a.y, b.x - a.x, b.y - a.y);
    context.setLineDash([]);
    if (style.selected) {
      context.fillStyle = style.colour;
      for (const corner of [a, b, { x: a.x, y: b.y }, { x: b.x, y: a.y }])
        context.fillRect(corner.x - 4, corner.y - 4, 8, 8);
    }
  }

  /** Draws the captions that fit without covering each other; returns how many were drawn. */
  private drawCaptions(
    context: CanvasRenderingContext2D,
    items: Array<{ box: Box; style: Pick<Overlay, "colour" | "caption"> }>,
  ): number {
    context.font = "12px system-ui, sans-serif";
    const requests = items.map(({ box, style }) => {
      const a = this.toScreen(box.x1, box.y1);
      const b = this.toScreen(box.x2, box.y2);
      return {
        box: { x: a.x, y: a.y, width: b.x - a.x, height: b.y - a.y },
        width: context.measureText(style.caption).width + 8,
      };
    });
    const places = placeCaptions(requests, this.viewSize);
    places.forEach((place, i) => {
      const style = items[i]?.style;
      if (!place || !style) return;
      context.fillStyle = style.colour;
      context.fillRect(place.x, place.y, place.width, CAPTION_HEIGHT);
      context.fillStyle = "#000";
      context.fillText(style.caption, place.x + 4, place.y + 13);
    });
    return places.filter(Boolean).length;
  }
}
