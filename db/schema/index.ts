export * from "./credentials";
export * from "./images";
export * from "./jobs";
export * from "./users";
