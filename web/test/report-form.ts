import type { Page } from "playwright-core";

/** Fills the report form's technique and personnel, the fields issuing requires, through their labels. */
export async function fillTechniqueAndPersonnel(page: Page): Promise<void> {
  await page.getByLabel("Testing class").selectOption("B");
  await page.getByLabel("Tube voltage (kV)").fill("250");
  await page.getByLabel("Source-to-film distance SFD (mm)").fill("700");
  await page.getByLabel("Film system and screens").fill("EN ISO 11699-1 C5, Pb 0.1 mm");
  await page.getByLabel("Optical density").fill("2.8");
  await page.getByLabel("IQI sensitivity achieved").fill("W13");
  await page.getByLabel("Inspector name").fill("Zoë Ünal");
  await page.getByLabel("Inspector certification scheme").fill("EN ISO 9712");
  await page.getByLabel("Inspector certificate number").fill("12345");
}
