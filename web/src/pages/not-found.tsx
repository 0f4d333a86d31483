import { BASE, linkHandler } from "../router";

export function NotFoundPage() {
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        <a href={`${BASE}/images`} onClick={linkHandler("/images")}>
          Go to your images
        </a>
      </p>
    </section>
  );
}
