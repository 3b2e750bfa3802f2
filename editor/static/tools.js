/* Editor side tools: rename a speaker everywhere, give one paragraph to another speaker (a shared dialog, not
   a control per paragraph, so 2,000 paragraphs stay light), find and replace with a preview, and the show
   notes and chapter titles. */
import { $, api, ApiError, clock, el, say, warn } from "./common.js";

export function setupTools({ view, base, onChange }) {
  const from = $("#rename-from"), choice = $("#speaker-choice");
  function speakersChanged() {
    const names = view.speakers();
    for (const sel of [from, choice]) {
      const keep = sel.value;
      sel.replaceChildren(...names.map((n) => el("option", { value: n, text: n })));
      if (names.includes(keep)) { sel.value = keep; }
    }
  }
  speakersChanged();

  $("#rename-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const old = from.value, name = $("#rename-to").value.trim();
    if (!old || !name) { return; }
    let n = 0;
    view.paras.forEach((p, i) => { if (p.speaker === old && view.setSpeaker(i, name)) { n++; } });
    speakersChanged();
    from.value = name;
    $("#rename-to").value = "";
    if (n) { onChange(); }
    say(`Renamed ${old} to ${name} in ${n} paragraph${n === 1 ? "" : "s"}.`);
  });

  // One paragraph to another speaker
  const dlg = $("#speaker-dialog");
  let target = -1;
  function reassign(i) {
    target = i;
    choice.value = view.paras[i].speaker;
    $("#speaker-new").value = "";
    $("#speaker-dialog-text").textContent = `Paragraph ${i + 1} at ${clock(view.paras[i].start)}: “${view.text(i).slice(0, 80)}…”`;
    dlg.showModal();
    choice.focus();
  }
  $("#speaker-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const ok = ev.submitter && ev.submitter.value === "ok";
    dlg.close();
    if (!ok || target < 0) { return; }
    const name = $("#speaker-new").value.trim() || choice.value;
    if (view.setSpeaker(target, name)) { speakersChanged(); onChange(); say(`Paragraph ${target + 1} is now ${name}'s.`); }
  });
  dlg.addEventListener("close", () => { if (target >= 0 && view.paras[target]) { view.paras[target].button.focus(); } });

  setupFind(view, onChange);
  setupNotes(base);
  return { speakersChanged, reassign };
}

function setupFind(view, onChange) {
  const find = $("#find-text"), repl = $("#replace-text"), out = $("#find-preview"), all = $("#replace-all");
  let pattern = null;
  const reset = () => { pattern = null; all.disabled = true; };
  for (const i of [find, repl, $("#find-case"), $("#find-words")]) { i.addEventListener("input", reset); }
  const regex = () => {
    const esc = find.value.trim().replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const body = $("#find-words").checked ? `(?<![\\p{L}\\p{N}])${esc}(?![\\p{L}\\p{N}])` : esc;
    return new RegExp(body, `gu${$("#find-case").checked ? "" : "i"}`);
  };
  $("#find-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (!find.value.trim()) { return; }
    pattern = regex();
    const items = [];
    let count = 0, paras = 0;
    view.paras.forEach((p, i) => {
      const t = view.text(i);
      const ms = [...t.matchAll(pattern)];
      if (!ms.length) { return; }
      paras++;
      count += ms.length;
      for (const m of ms) {
        if (items.length >= 100) { break; }
        const b = el("button", { type: "button", class: "link" }, `Paragraph ${i + 1} (${p.speaker}): …${t.slice(Math.max(0, m.index - 30), m.index)}`,
          el("mark", { text: m[0] }), `${t.slice(m.index + m[0].length, m.index + m[0].length + 30)}…`);
        b.addEventListener("click", () => { p.box.focus(); p.box.scrollIntoView({ block: "center" }); });
        items.push(el("li", {}, b));
      }
    });
    const summary = `${count} match${count === 1 ? "" : "es"} in ${paras} paragraph${paras === 1 ? "" : "s"}` +
      (count ? `; Replace all changes them to “${repl.value}”.` : ".");
    out.replaceChildren(el("p", { text: summary }), items.length ? el("ol", { class: "matches" }, ...items) : "",
      count > items.length ? el("p", { text: `The first ${items.length} are listed.` }) : "");
    all.disabled = count === 0;
  });
  all.addEventListener("click", () => {
    if (!pattern) { return; }
    let count = 0;
    view.paras.forEach((p, i) => {
      const t = view.text(i);
      const n = [...t.matchAll(pattern)].length;
      if (n) { view.setText(i, t.replace(pattern, () => repl.value)); count += n; }
    });
    reset();
    out.replaceChildren(el("p", { text: `Replaced ${count} match${count === 1 ? "" : "es"}.` }));
    if (count) { onChange(); }
    say(`Replaced ${count} match${count === 1 ? "" : "es"}.`);
  });
}

function setupNotes(base) {
  const form = $("#notes-form"), state = $("#notes-state");
  let notes = null;
  async function load() {
    try { notes = await api("GET", `${base}/notes`); } catch (e) { state.textContent = `Notes unavailable: ${e.message}.`; return; }
    $("#notes-title").value = notes.title || "";
    $("#notes-description").value = notes.description || "";
    $("#notes-summary").value = (notes.summary || []).join("\n");
    $("#notes-keywords").value = (notes.keywords || []).join(", ");
    $("#chapter-list").replaceChildren(...(notes.chapters || []).map((c, k) => el("li", {},
      el("label", { for: `chapter-${k}`, text: `Chapter at ${clock(c.start)}` }), " ",
      el("input", { id: `chapter-${k}`, class: "chapter", "data-start": c.start, "data-url": c.url || "", autocomplete: "off" }))));
    form.querySelectorAll("input.chapter").forEach((i, k) => { i.value = notes.chapters[k].title || ""; });
  }
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!notes) { return; }
    const lines = (v, sep) => v.split(sep).map((x) => x.trim()).filter(Boolean);
    const body = { base_revision: notes.revision, title: $("#notes-title").value, description: $("#notes-description").value,
      summary: lines($("#notes-summary").value, "\n"), keywords: lines($("#notes-keywords").value, ","),
      chapters: [...form.querySelectorAll("input.chapter")].map((i) => ({ start: +i.dataset.start, title: i.value, ...(i.dataset.url ? { url: i.dataset.url } : {}) })) };
    try {
      const r = await api("PUT", `${base}/notes`, body);
      notes.revision = r.revision;
      state.textContent = `Notes saved as revision ${r.revision}${r.merged ? " (merged with someone else's changes)" : ""}.`;
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) {
        warn("Notes not saved: someone else changed the same fields meanwhile. Your text is still in the form; copy what you need, then reload the page.");
        state.textContent = "Not saved (conflict).";
      } else { state.textContent = `Not saved: ${e.message}.`; }
    }
  });
  load();
}
