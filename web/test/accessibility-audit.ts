import type { Page } from "playwright-core";
import { inPage } from "./browser";

/**
 * An axe-like audit of the rendered page: every form field has a label, every button and link a
 * name, ids are unique, no positive tabindex reorders focus, and visible text meets WCAG AA
 * contrast (4.5:1) against its background. Returns the problems found.
 */
export const AUDIT = `() => {
  const problems = [];
  const text = (id) => document.getElementById(id)?.textContent ?? "";
  const fieldName = (el) => (el.getAttribute("aria-label") || (el.getAttribute("aria-labelledby") ?? "").split(" ").map(text).join(" ") || [...(el.labels ?? [])].map((l) => l.textContent).join(" ")).trim();
  for (const el of document.querySelectorAll("input:not([type=hidden]), select, textarea"))
    if (!fieldName(el)) problems.push("field without a label: " + el.outerHTML.slice(0, 80));
  for (const el of document.querySelectorAll("button, a[href]"))
    if (!(el.getAttribute("aria-label") || el.textContent).trim()) problems.push("control without a name: " + el.outerHTML.slice(0, 80));
  const ids = [...document.querySelectorAll("[id]")].map((el) => el.id);
  for (const id of new Set(ids)) if (ids.filter((other) => other === id).length > 1) problems.push("duplicate id " + id);
  for (const el of document.querySelectorAll("[tabindex]"))
    if (Number(el.getAttribute("tabindex")) > 0) problems.push("positive tabindex: " + el.outerHTML.slice(0, 80));
  const rgb = (colour) => colour.match(/[\\d.]+/g).map(Number);
  const luminance = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }).reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const background = (el) => {
    for (let at = el; at; at = at.parentElement) {
      const colour = rgb(getComputedStyle(at).backgroundColor);
      if (colour.length < 4 || colour[3] > 0) return colour.slice(0, 3);
    }
    return [255, 255, 255];
  };
  for (const el of document.querySelectorAll("body *")) {
    if (el.closest(".visually-hidden, :disabled, canvas, option") || el.getClientRects().length === 0) continue;
    if (![...el.childNodes].some((node) => node.nodeType === 3 && node.textContent.trim())) continue;
    const [high, low] = [luminance(rgb(getComputedStyle(el).color)), luminance(background(el))].sort((a, b) => b - a);
    const ratio = (high + 0.05) / (low + 0.05);
    if (ratio < 4.5) problems.push("contrast " + ratio.toFixed(2) + ": " + el.tagName + " " + el.textContent.trim().slice(0, 40));
  }
  return problems;
}`;

export const audit = (page: Page) => inPage<string[]>(page, AUDIT);
