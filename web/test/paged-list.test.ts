import { describe, expect, test } from "bun:test";
import { createPagedList, PAGE_SIZE, type PagedState, pageUrl } from "../src/api/paged-list";
import type { Page } from "../src/api/types";

type Item = { id: string };

/** An in-memory API list as edge/src/routes/pagination.ts serves it: newest (highest id) first. */
function fakeApi(count: number) {
  const ids = Array.from({ length: count }, (_, n) => String(n).padStart(4, "0"));
  const urls: string[] = [];
  return {
    urls,
    add: () => ids.push(String(ids.length).padStart(4, "0")),
    fetchPage: async (url: string): Promise<Page<Item>> => {
      urls.push(url);
      const params = new URL(url, "http://api").searchParams;
      const limit = Number(params.get("limit"));
      const cursor = params.get("cursor");
      const newestFirst = ids.toSorted().reverse();
      const rows = newestFirst.filter((id) => !cursor || id < cursor).slice(0, limit + 1);
      const page = rows.slice(0, limit);
      return {
        items: page.map((id) => ({ id })),
        nextCursor: rows.length > limit ? (page.at(-1) ?? null) : null,
      };
    },
  };
}

function list(api: ReturnType<typeof fakeApi>, path = "/v1/things") {
  const published: PagedState<Item>[] = [];
  const controller = createPagedList(api.fetchPage, path, (state) => published.push(state));
  return { controller, published, ids: () => controller.state.items.map((item) => item.id) };
}

describe("paged list cursor logic", () => {
  test("a page URL keeps the list's filters and replaces limit and cursor", () => {
    expect(pageUrl("/v1/jobs?status=failed&limit=100", null)).toBe(
      `/v1/jobs?status=failed&limit=${PAGE_SIZE}`,
    );
    expect(pageUrl("/v1/images", "abc")).toBe(`/v1/images?limit=${PAGE_SIZE}&cursor=abc`);
  });

  test("reads the first page, then appends each next page by cursor until the end", async () => {
    const api = fakeApi(PAGE_SIZE * 2 + 7);
    const { controller, ids } = list(api);
    await controller.reload();
    expect(ids()).toHaveLength(PAGE_SIZE);
    expect(controller.state.nextCursor).toBe(ids().at(-1) ?? "");
    await controller.loadMore();
    await controller.loadMore();
    expect(controller.state.nextCursor).toBeNull();
    // Past the end, nothing is read again.
    await controller.loadMore();
    expect(api.urls).toHaveLength(3);
    const expected = Array.from({ length: PAGE_SIZE * 2 + 7 }, (_, n) =>
      String(n).padStart(4, "0"),
    ).reverse();
    expect(ids()).toEqual(expected);
  });

  test("a reload keeps as many items as were shown, with a new one on top", async () => {
    const api = fakeApi(PAGE_SIZE * 3);
    const { controller, ids } = list(api);
    await controller.reload();
    await controller.loadMore();
    api.add();
    await controller.reload();
    expect(ids()[0]).toBe(String(PAGE_SIZE * 3).padStart(4, "0"));
    // Two pages were shown, and two are read again; the oldest one slid onto the next page.
    expect(ids()).toHaveLength(PAGE_SIZE * 2);
    expect(controller.state.nextCursor).toBe(ids().at(-1) ?? "");
    expect(new Set(ids()).size).toBe(ids().length);
  });

  test("reads run in turn: a reload and more pages asked for together neither drop nor repeat items", async () => {
    const api = fakeApi(PAGE_SIZE * 4);
    const { controller, ids } = list(api);
    await controller.reload();
    await Promise.all([
      controller.loadMore(),
      controller.reload(),
      controller.reload(),
      controller.loadMore(),
    ]);
    // The page appended first, then the two reloads, merged, read the two pages shown by then,
    // then the next page was appended after them.
    expect(api.urls).toHaveLength(1 + 1 + 2 + 1);
    expect(ids()).toHaveLength(PAGE_SIZE * 3);
    expect(new Set(ids()).size).toBe(ids().length);
    expect(ids()).toEqual(ids().toSorted().reverse());
  });

  test("a failed read is published as the list's error and cleared by the next one that works", async () => {
    const api = fakeApi(PAGE_SIZE + 1);
    let fail = true;
    const controller = createPagedList<Item>(
      (url) => (fail ? Promise.reject(new Error("offline")) : api.fetchPage(url)),
      "/v1/things",
      () => {},
    );
    await controller.reload();
    expect(String(controller.state.error)).toContain("offline");
    expect(controller.state.loaded).toBe(false);
    fail = false;
    await controller.reload();
    expect(controller.state.error).toBeNull();
    expect(controller.state.items).toHaveLength(PAGE_SIZE);
  });

  test("a closed list publishes nothing more", async () => {
    const api = fakeApi(PAGE_SIZE * 2);
    const { controller, published } = list(api);
    await controller.reload();
    const before = published.length;
    controller.close();
    await controller.loadMore();
    controller.update((items) => items.slice(1));
    expect(published).toHaveLength(before);
  });
});
