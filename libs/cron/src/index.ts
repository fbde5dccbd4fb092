export { parseCron, nextN, countBetween, TIME_ZONE, type Schedule } from "./schedule.js";
