import { useEffect, useRef } from "hono/jsx/dom";
import type { FilmView } from "../viewer/film-view";
import { OverviewMap } from "../viewer/overview-map";

/**
 * The whole film in small under the view, the region in view outlined: where on a long weld strip
 * the inspector is, and a press or drag away from anywhere on it.
 */
export function OverviewMapCanvas({ view }: { view: FilmView | null }) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas || !view) return;
    const map = new OverviewMap(canvas, view);
    return () => map.dispose();
  }, [view]);
  return (
    <div class="overview-map">
      <canvas
        ref={canvasRef}
        data-testid="overview-map"
        role="img"
        aria-label="Overview of the whole film: the outlined part is in view; press or drag to move the view"
      />
    </div>
  );
}
