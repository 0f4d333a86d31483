/** `path` with `params` as its query string; absent and empty values are left out. */
export function withQuery(path: string, params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== "") search.set(name, String(value));
  }
  return search.size ? `${path}?${search}` : path;
}

/** One path segment, such as an id taken from the page's URL. */
export const segment = (value: string) => encodeURIComponent(value);
