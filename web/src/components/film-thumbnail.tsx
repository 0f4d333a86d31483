import { useEffect, useRef, useState } from "hono/jsx/dom";
import { thumbnailOf } from "../viewer/thumbnail";

type Props = { image: { id: string; width: number; height: number }; alt: string };

/** A film's preview, made once the row scrolls into view (a long list decodes only what is seen). */
export function FilmThumbnail({ image, alt }: Props) {
  const [src, setSrc] = useState<string | null>(null);
  const ref = useRef<HTMLSpanElement>(null);
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    let cancelled = false;
    const observer = new IntersectionObserver((entries) => {
      if (!entries.some((entry) => entry.isIntersecting)) return;
      observer.disconnect();
      thumbnailOf(image).then((made) => !cancelled && setSrc(made));
    });
    observer.observe(element);
    return () => {
      cancelled = true;
      observer.disconnect();
    };
  }, [image.id]);
  return (
    <span ref={ref} class="thumbnail-frame" data-thumbnail={src ? "ready" : "none"}>
      {src ? <img class="thumbnail" src={src} alt={alt} /> : <span class="thumbnail" aria-hidden="true" />}
    </span>
  );
}
