import type { Child } from "hono/jsx";
import { type Block, markdownBlocks } from "./markdown-blocks";

/** Inline `code` and **bold** as elements; everything else stays text (never parsed as HTML). */
function inline(text: string): Child[] {
  return text.split(/(`[^`]+`|\*\*[^*]+\*\*)/).map((part) => {
    if (part.startsWith("`") && part.endsWith("`") && part.length > 1)
      return <code>{part.slice(1, -1)}</code>;
    if (part.startsWith("**") && part.endsWith("**") && part.length > 3)
      return <strong>{part.slice(2, -2)}</strong>;
    return part;
  });
}

function renderBlock(block: Block, headingBase: number): Child {
  switch (block.kind) {
    case "heading": {
      const level = Math.min(6, headingBase + block.level - 1);
      const Tag = `h${level}` as "h3";
      return <Tag>{inline(block.text)}</Tag>;
    }
    case "list":
      return (
        <ul>
          {block.items.map((item) => (
            <li>{inline(item)}</li>
          ))}
        </ul>
      );
    case "code":
      return <pre>{block.text}</pre>;
    case "table": {
      const [head = [], ...body] = block.rows;
      const labelled = head.some((cell) => cell !== "");
      return (
        <table class="compact">
          {labelled && (
            <thead>
              <tr>
                {head.map((cell) => (
                  <th scope="col">{inline(cell)}</th>
                ))}
              </tr>
            </thead>
          )}
          <tbody>
            {body.map((row) => (
              <tr>
                {row.map((cell) => (
                  <td>{inline(cell)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      );
    }
    default:
      return <p>{inline(block.text)}</p>;
  }
}

/**
 * Markdown from the API (a model card) shown as elements built from its text: no HTML of the
 * document is ever interpreted, so a card cannot inject markup or scripts.
 */
export function MarkdownText({ markdown, headingBase = 3 }: { markdown: string; headingBase?: number }) {
  return (
    <div class="markdown">{markdownBlocks(markdown).map((block) => renderBlock(block, headingBase))}</div>
  );
}
