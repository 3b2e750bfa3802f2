/* Keyboard shortcuts that work while typing, listed on the page and rebindable (bindings only are kept in
   localStorage). Never Tab, never a bare Alt+letter (macOS types characters with it), never a key that
   types or edits text unless Ctrl or Cmd is held. */
import { $, el, say } from "./common.js";

export const ACTIONS = [
  ["playPause", "Play or pause (resuming after typing replays the last 1.5 s)", "Escape"],
  ["back", "Back 5 seconds", "F1"],
  ["forward", "Forward 5 seconds", "F2"],
  ["slower", "Slower", "F3"],
  ["faster", "Faster", "F4"],
  ["nextUnsure", "Next low-confidence word or gap", "F8"],
  ["playHere", "Play from the word at the cursor", "Ctrl+Enter"],
  ["save", "Save", "Ctrl+S"],
  ["nextFlag", "Next personal-data flag", "F9"],
  ["prevFlag", "Previous personal-data flag", "Shift+F9"],
  ["acceptFlag", "Redact the flag in focus", "Ctrl+Shift+Enter"],
  ["dismissFlag", "Dismiss the flag in focus (asks why)", "Ctrl+Shift+D"],
  ["redactSelection", "Redact the selected words", "Ctrl+Shift+X"],
];
const STORE = "chorus-editor-shortcuts";
const EDITING = /^(Enter|Backspace|Delete|ArrowLeft|ArrowRight|ArrowUp|ArrowDown|Home|End|PageUp|PageDown| |Spacebar|Space)$/;

/** A key event as text: "Ctrl+Shift+K", "F2", "Escape"; null for a lone modifier. */
export function combo(ev) {
  if (["Control", "Shift", "Alt", "Meta", "AltGraph", "CapsLock"].includes(ev.key)) { return null; }
  let key = ev.key === " " ? "Space" : ev.key;
  if (key.length === 1) { key = (ev.code && /^Key[A-Z]$/.test(ev.code)) ? ev.code.slice(3) : key.toUpperCase(); }
  return [ev.ctrlKey && "Ctrl", ev.altKey && "Alt", ev.shiftKey && "Shift", ev.metaKey && "Cmd", key].filter(Boolean).join("+");
}

/** Why ``c`` cannot be a shortcut, or "" when it can. */
export function refusal(c) {
  const parts = c.split("+"), key = parts[parts.length - 1], mods = parts.slice(0, -1);
  const strong = mods.includes("Ctrl") || mods.includes("Cmd");
  if (key === "Tab") { return "Tab moves between controls, so it is never a shortcut"; }
  if (mods.includes("Alt") && !strong && key.length === 1) { return "Alt with a letter types characters on macOS"; }
  if (!strong && (key.length === 1 || EDITING.test(key))) { return `${c} types or edits text; add Ctrl or Cmd`; }
  return "";
}

export class Shortcuts {
  constructor(handlers) {
    this.handlers = handlers;
    this.capturing = null;
    let saved = {};
    try { saved = JSON.parse(localStorage.getItem(STORE) || "{}"); } catch (e) { saved = {}; }
    this.keys = Object.fromEntries(ACTIONS.map(([id, , def]) => [id, saved[id] && !refusal(saved[id]) ? saved[id] : def]));
    document.addEventListener("keydown", (ev) => this.onKey(ev), true);
    $("#shortcuts-reset").addEventListener("click", () => {
      localStorage.removeItem(STORE);
      this.keys = Object.fromEntries(ACTIONS.map(([id, , def]) => [id, def]));
      this.table();
      say("Shortcuts reset to the defaults.");
    });
    this.table();
  }

  table() {
    const rows = ACTIONS.map(([id, label]) => {
      const b = el("button", { type: "button", class: "rebind", "data-action": id, "aria-label": `Change the keys for ${label}` }, "Change");
      b.addEventListener("click", () => this.capture(id, b));
      return el("tr", {}, el("td", { text: label }), el("td", {}, el("kbd", { text: this.keys[id] })), el("td", {}, b));
    });
    $("#shortcut-rows").replaceChildren(...rows);
  }

  capture(id, button) {
    this.capturing = { id, button };
    button.textContent = "Press keys…";
    button.setAttribute("aria-pressed", "true");
    $("#rebind-help").textContent = "Press the new keys now (Tab cancels).";
  }

  stop(message) {
    const b = this.capturing && this.capturing.button;
    this.capturing = null;
    if (b) { b.textContent = "Change"; b.removeAttribute("aria-pressed"); }
    $("#rebind-help").textContent = message;
  }

  onKey(ev) {
    if (this.capturing) {
      if (ev.key === "Tab") { this.stop("Not changed."); return; }     // Tab still moves on: no trap
      const c = combo(ev);
      if (!c) { return; }
      ev.preventDefault();
      ev.stopPropagation();
      const why = refusal(c);
      if (why) { $("#rebind-help").textContent = `${why}. Press other keys, or Tab to cancel.`; return; }
      const { id, button } = this.capturing;
      const taken = Object.entries(this.keys).find(([other, k]) => k === c && other !== id);
      if (taken) { this.keys[taken[0]] = this.keys[id]; }               // swap, so no action is left without keys
      this.keys[id] = c;
      localStorage.setItem(STORE, JSON.stringify(this.keys));
      this.stop(`${ACTIONS.find((a) => a[0] === id)[1]}: ${c}.`);
      this.table();
      const again = document.querySelector(`button.rebind[data-action="${id}"]`);
      if (again) { again.focus(); }
      return;
    }
    if (ev.target.closest && ev.target.closest("dialog")) { return; }     // a dialog's own keys (Escape closes it)
    const c = combo(ev);
    if (!c) { return; }
    const alt = c.replace(/^Cmd\+|\+Cmd\+/, (m) => m.replace("Cmd", "Ctrl"));   // Cmd stands for Ctrl on macOS
    const action = Object.keys(this.keys).find((id) => this.keys[id] === c) || Object.keys(this.keys).find((id) => this.keys[id] === alt);
    if (action && this.handlers[action]) {
      ev.preventDefault();
      ev.stopPropagation();
      this.handlers[action](ev);
    }
  }
}
