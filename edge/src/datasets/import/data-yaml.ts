import { ApiError } from "../../errors";

/**
 * Reads the class names of an Ultralytics `data.yaml`, in the forms Ultralytics writes and reads:
 * a block or flow sequence (`names: [a, b]`, `- a` lines) or a block or flow mapping from class
 * id to name (`0: a` lines, `{0: a, 1: b}`), with plain, single- or double-quoted scalars and
 * comments. Other keys (`path`, `train`, `val`, ...) are ignored; `nc`, when present, must agree.
 */
export function parseDataYamlNames(text: string): string[] {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  const at = lines.findIndex((line) => /^names\s*:/.test(line));
  if (at < 0) throw invalid("it has no top-level `names`");
  const inline = stripComment((lines[at] as string).replace(/^names\s*:/, "")).trim();
  let names: string[];
  if (inline) names = parseFlow(inline, lines.slice(at + 1));
  else names = parseBlock(lines.slice(at + 1));
  const nc = lines.find((line) => /^nc\s*:/.test(line));
  if (nc !== undefined) {
    const declared = Number(stripComment(nc.replace(/^nc\s*:/, "")).trim());
    if (declared !== names.length) throw invalid(`nc is ${declared} but names lists ${names.length}`);
  }
  if (names.length === 0) throw invalid("`names` is empty");
  const duplicate = names.find((name, i) => names.indexOf(name) !== i);
  if (duplicate !== undefined) throw invalid(`the class "${duplicate}" is named twice`);
  return names;
}

function invalid(reason: string): ApiError {
  return new ApiError("archive_invalid", `data.yaml: ${reason}`);
}

/** Drops a `#` comment that is outside quotes (YAML needs a space before it). */
function stripComment(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i += 1) {
    const ch = line[i] as string;
    if (quote) {
      if (ch === "\\" && quote === '"') i += 1;
      else if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === "#" && (i === 0 || /\s/.test(line[i - 1] as string))) return line.slice(0, i);
  }
  return line;
}

const ESCAPES: Record<string, string> = { n: "\n", t: "\t", '"': '"', "\\": "\\", "/": "/", "0": "\0" };

function scalar(raw: string): string {
  const text = raw.trim();
  if (text.startsWith("'")) {
    if (!text.endsWith("'") || text.length < 2) throw invalid(`unterminated quote in ${text}`);
    return text.slice(1, -1).replaceAll("''", "'");
  }
  if (text.startsWith('"')) {
    if (!text.endsWith('"') || text.length < 2) throw invalid(`unterminated quote in ${text}`);
    return text.slice(1, -1).replace(/\\(.)/g, (_, ch: string) => {
      const escaped = ESCAPES[ch];
      if (escaped === undefined) throw invalid(`unsupported escape \\${ch}`);
      return escaped;
    });
  }
  if (!text) throw invalid("an empty class name");
  return text;
}

/** Splits flow content at top-level commas, outside quotes. */
function splitFlow(body: string): string[] {
  const parts: string[] = [];
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < body.length; i += 1) {
    const ch = body[i] as string;
    if (quote) {
      if (ch === "\\" && quote === '"') i += 1;
      else if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === ",") {
      parts.push(body.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(body.slice(start));
  return parts.map((part) => part.trim()).filter((part, i, all) => part !== "" || i < all.length - 1);
}

/** `[a, b]` or `{0: a, 1: b}`, possibly continued on the following lines. */
function parseFlow(first: string, rest: string[]): string[] {
  const close = first.startsWith("[") ? "]" : first.startsWith("{") ? "}" : null;
  if (!close) throw invalid("`names` must be a list or a mapping of class ids to names");
  let text = first;
  for (const line of rest) {
    if (stripComment(text).trimEnd().endsWith(close)) break;
    text += ` ${stripComment(line).trim()}`;
  }
  text = stripComment(text).trim();
  if (!text.endsWith(close)) throw invalid("`names` is not closed");
  const parts = splitFlow(text.slice(1, -1));
  if (close === "]") return parts.map(scalar);
  return fromMapping(parts.map((part) => splitPair(part)));
}

function splitPair(part: string): [string, string] {
  const colon = part.indexOf(":");
  if (colon < 0) throw invalid(`"${part}" is not \`id: name\``);
  return [part.slice(0, colon).trim(), part.slice(colon + 1)];
}

/** Indented `- name` or `id: name` lines, up to the next top-level key. */
function parseBlock(rest: string[]): string[] {
  const items: string[] = [];
  for (const line of rest) {
    const content = stripComment(line);
    if (!content.trim()) continue;
    if (!/^\s/.test(content) && !content.startsWith("-")) break;
    items.push(content.trim());
  }
  if (items.every((item) => item.startsWith("-"))) return items.map((item) => scalar(item.slice(1)));
  if (items.some((item) => item.startsWith("-"))) throw invalid("`names` mixes list items and ids");
  return fromMapping(items.map((item) => splitPair(item)));
}

/** A mapping's names by id; the ids must be exactly 0..n-1, as Ultralytics requires. */
function fromMapping(pairs: Array<[string, string]>): string[] {
  const names: string[] = [];
  for (const [raw, value] of pairs) {
    // `yaml` and PyYAML may quote the ids: `"0": porosity`.
    const key = /^["']/.test(raw) ? scalar(raw) : raw;
    if (!/^\d+$/.test(key)) throw invalid(`class id "${key}" is not a whole number`);
    const id = Number(key);
    if (names[id] !== undefined) throw invalid(`class id ${id} appears twice`);
    names[id] = scalar(value);
  }
  for (let id = 0; id < names.length; id += 1) {
    if (names[id] === undefined) throw invalid(`class ids must run 0..${names.length - 1}; ${id} is missing`);
  }
  return names;
}
