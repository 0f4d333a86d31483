export type Block =
  | { kind: "heading"; level: number; text: string }
  | { kind: "list"; items: string[] }
  | { kind: "code"; text: string }
  | { kind: "table"; rows: string[][] }
  | { kind: "paragraph"; text: string };

const TABLE_RULE = /^\|?\s*:?-{3,}/;
const cells = (line: string) =>
  line
    .replace(/^\||\|$/g, "")
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim().replaceAll("\\|", "|"));

/** Splits the markdown a model card is written in into blocks: headings, lists, code, tables. */
export function markdownBlocks(markdown: string): Block[] {
  const lines = markdown.replaceAll("\r\n", "\n").split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) blocks.push({ kind: "heading", level: heading[1]?.length ?? 1, text: heading[2] ?? "" });
    else if (line.startsWith("```")) {
      const code: string[] = [];
      for (i++; i < lines.length && !lines[i]?.startsWith("```"); i++) code.push(lines[i] ?? "");
      blocks.push({ kind: "code", text: code.join("\n") });
    } else if (/^[-*]\s/.test(line)) {
      const last = blocks.at(-1);
      if (last?.kind === "list") last.items.push(line.slice(2));
      else blocks.push({ kind: "list", items: [line.slice(2)] });
    } else if (line.startsWith("|")) {
      const last = blocks.at(-1);
      if (TABLE_RULE.test(line)) continue;
      if (last?.kind === "table") last.rows.push(cells(line));
      else blocks.push({ kind: "table", rows: [cells(line)] });
    } else if (line.trim()) blocks.push({ kind: "paragraph", text: line.trim() });
  }
  return blocks;
}
