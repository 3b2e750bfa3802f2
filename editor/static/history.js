/* The history page: a readable word diff of the chosen revision against the one before it (removed words
   struck through and marked "removed", added words underlined and marked "added": not by colour alone), and
   restore, which makes a new revision with that content (nothing is ever deleted). */
import { $, $$, api, el, say, warn } from "./common.js";

const FLASH = "chorus-history-flash";
const words = (v) => (Array.isArray(v) ? v.map((w) => (typeof w === "object" ? w.text : w)).join(" ") : String(v ?? ""));

function shorten(text, where) {
  const w = text.split(/\s+/).filter(Boolean);
  if (w.length <= 16) { return text; }
  if (where === "start") { return `… ${w.slice(-8).join(" ")}`; }
  if (where === "end") { return `${w.slice(0, 8).join(" ")} …`; }
  return `${w.slice(0, 8).join(" ")} … ${w.slice(-8).join(" ")}`;
}

export function renderDiff(ops) {
  const paras = new Map();
  for (const op of ops) {
    const k = op.paragraph ?? 0;
    if (!paras.has(k)) { paras.set(k, []); }
    paras.get(k).push(op);
  }
  const out = [];
  for (const [k, list] of paras) {
    if (!list.some((o) => o.kind !== "equal")) { continue; }
    const p = el("p", { class: "diff-para" }, el("span", { class: "para-no", text: `Paragraph ${+k + 1}: ` }));
    list.forEach((o, n) => {
      if (o.kind === "equal") {
        p.append(shorten(words(o.old ?? o.new), n === 0 ? "start" : n === list.length - 1 ? "end" : "mid"), " ");
        return;
      }
      if (words(o.old)) { p.append(el("del", {}, el("span", { class: "sr-only", text: "removed: " }), words(o.old)), " "); }
      if (words(o.new)) { p.append(el("ins", {}, el("span", { class: "sr-only", text: "added: " }), words(o.new)), " "); }
    });
    out.push(p);
  }
  return out;
}

export async function setupHistory(id) {
  const base = `/api/episodes/${encodeURIComponent(id)}`;
  const flash = sessionStorage.getItem(FLASH);
  if (flash) { sessionStorage.removeItem(FLASH); say(flash); }
  const items = $$(".revisions li");
  const chosen = +new URLSearchParams(location.search).get("revision") || (items.length ? +items[0].dataset.number : 0);
  for (const li of items) {
    if (+li.dataset.number === chosen) { li.classList.add("chosen"); $(".rev-link", li).setAttribute("aria-current", "page"); }
  }
  for (const b of $$("button.restore")) {
    b.addEventListener("click", async () => {
      b.disabled = true;
      try {
        const r = await api("POST", `${base}/revisions/${b.dataset.number}/restore`, {});
        const n = r.revision ?? r.number;
        sessionStorage.setItem(FLASH, `Restored revision ${b.dataset.number} as the new revision ${n}.`);
        location.assign(`?revision=${n}`);
      } catch (e) { warn(`Not restored: ${e.message}.`); b.disabled = false; }
    });
  }
  if (!chosen) { return; }
  const box = $("#diff");
  try {
    const d = await api("GET", `${base}/revisions/${chosen}/diff`);
    const parts = renderDiff(d.ops || []);
    box.replaceChildren(el("h3", { text: `Revision ${chosen}` }), el("p", { class: "summary", text: d.summary || "" }),
      ...(parts.length ? parts : [el("p", { text: "No word changed in this revision." })]));
  } catch (e) { box.replaceChildren(el("p", { text: `The diff is unavailable: ${e.message}.` })); }
}
