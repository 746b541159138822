import { createRequire as __taskboundCreateRequire } from 'node:module';
const require = __taskboundCreateRequire(import.meta.url);
import {
  getState,
  saveState
} from "./chunk-P2F4KLBR.js";

// src/saved-state.ts
var DIRECTORY = "svid-dir";
var SCOPE = "scope";
var TASK_ID = "task-id";
function saveState2(s) {
  saveState(DIRECTORY, s.directory);
  saveState(SCOPE, s.scope);
  saveState(TASK_ID, s.taskId);
}
function loadState() {
  const directory = getState(DIRECTORY);
  if (directory === "") {
    return null;
  }
  return { directory, scope: getState(SCOPE) === "step" ? "step" : "job", taskId: getState(TASK_ID) };
}

export {
  saveState2 as saveState,
  loadState
};
