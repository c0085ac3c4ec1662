export * from "./backends/index.js";
