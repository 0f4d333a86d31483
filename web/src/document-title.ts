import { useEffect } from "hono/jsx/dom";

const APP = "Defect inspector";

/** "Jobs · Defect inspector": the tab says which page (and which film) it shows. */
export const documentTitle = (...parts: Array<string | null | undefined>) =>
  [...parts.filter((part): part is string => Boolean(part)), APP].join(" · ");

const SECTIONS: Array<[RegExp, string]> = [
  [/^\/(images)?$/, "Images"],
  [/^\/jobs$/, "Jobs"],
  [/^\/reports$/, "Reports"],
  [/^\/datasets(\/|$)/, "Datasets"],
  [/^\/trainings(\/|$)/, "Trainings"],
  [/^\/models(\/|$)/, "Models"],
  [/^\/api-keys$/, "API keys"],
];

/** A film's page names the film itself (`useDocumentTitle`); the shell titles every other page. */
export const ownsTitle = (path: string) => /^\/(jobs|images)\/[0-9a-f-]{36}$/.test(path);

/** The title of a signed-in page the shell titles. */
export const sectionTitle = (path: string) =>
  documentTitle(SECTIONS.find(([pattern]) => pattern.test(path))?.[1] ?? "Not found");

/** Sets the tab's title while the page shows; null leaves it as it is (still loading). */
export function useDocumentTitle(title: string | null): void {
  useEffect(() => {
    if (title !== null) document.title = title;
  }, [title]);
}
