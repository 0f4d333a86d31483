import { TrieRouter } from "hono/router/trie-router";
import type { RouterRoute } from "hono/types";

/**
 * Which methods a path answers to, from the app's own route table, so a wrong method on an
 * existing path gets `405` with `Allow` instead of `404`. Middleware (`use`, method `ALL`) does
 * not count; `HEAD` goes with `GET`, and `OPTIONS` (CORS preflight) is always allowed.
 */
export function allowedMethods(routes: readonly RouterRoute[]): (path: string) => string[] {
  const methods = [...new Set(routes.map((route) => route.method).filter((method) => method !== "ALL"))];
  const router = new TrieRouter<string>();
  for (const route of routes) if (route.method !== "ALL") router.add(route.method, route.path, route.method);
  return (path) => {
    const allowed = methods.filter((method) => router.match(method, path)[0].length > 0);
    if (allowed.length === 0) return [];
    if (allowed.includes("GET")) allowed.push("HEAD");
    return [...allowed, "OPTIONS"];
  };
}
