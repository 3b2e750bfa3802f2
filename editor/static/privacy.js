/* Personal data in the editor: flags highlighted in the transcript (a solid underline, a tinted background and
   the kind as a label, unlike the dotted underline of unsure words), the "Personal data" panel (each flag with
   who decided what and why, each redaction with its check after republishing: pending, passed or failed), and
   the keyboard actions: next / previous flag, redact the flag in focus, dismiss it with a reason (a dialog),
   redact the selected words. Everything a reviewer typed (reasons, names) is inserted as text, never as HTML.
   Word indices sent to the server are global indices into the revision's words: the page's word spans
   in order, less the marked [inaudible] gaps (which are not words). */
import { $, $$, api, ApiError, clock, el, say, warn } from "./common.js";

const LABEL = { person: "person", place: "place", workplace: "workplace", phone: "phone number", email: "e-mail address",
  dob: "date of birth", date_of_birth: "date of birth", age: "age", nhs: "NHS number", nhs_number: "NHS number",
  manual: "selected words" };
const POLL = 15000;   // while a redaction's check is pending, the panel asks again this often
const CHECK = { null: "pending (it runs after republishing)", true: "passed", false: "failed: the episode stays held" };

export const kindLabel = (k) => LABEL[k] || String(k || "item").replace(/_/g, " ");

/** ``page``: {revision(), changed(), reload(), caretTime()}; returns {actions, load, keyOf}. */
export function setupPrivacy({ view, base, player, page }) {
  const s = { flags: [], redactions: [], current: null, pos: null, poll: null, busy: false };
  const api_ = { keyOf: (id) => id };
  const words = () => $$(".w", view.root).filter((w) => !w.classList.contains("gap"));
  const open = () => s.flags.filter((f) => f.state === "open").sort((a, b) => a.start - b.start || a.id - b.id);
  const where = (f) => `${kindLabel(f.kind)} at ${clock(f.start)}`;

  function spansOf(f, ws = words()) {
    if (f.revision === page.revision() && !page.changed() && f.last < ws.length) { return ws.slice(f.first, f.last + 1); }
    return ws.filter((w) => +w.dataset.s >= f.start - 0.02 && +w.dataset.s <= Math.max(f.start, f.end - 0.02));
  }

  function mark() {
    for (const w of $$(".w.flag", view.root)) {
      w.classList.remove("flag", "flag-start", "flag-current");
      delete w.dataset.flag;
      delete w.dataset.kind;
    }
    const ws = words();
    for (const w of ws) { w.classList.toggle("redacted", w.textContent === "[redacted]"); }
    for (const f of open()) {
      const spans = spansOf(f, ws);
      spans.forEach((w, k) => {
        w.classList.add("flag");
        w.classList.toggle("flag-current", f.id === s.current);
        w.dataset.flag = String(f.id);
        if (!k) { w.classList.add("flag-start"); w.dataset.kind = kindLabel(f.kind); }
      });
    }
  }
  view.onRender = mark;

  async function load() {
    clearTimeout(s.poll);
    const r = await api("GET", `${base}/flags`);
    s.flags = r.flags || [];
    s.redactions = r.redactions || [];
    if (s.current !== null && !open().some((f) => f.id === s.current)) { s.current = null; }
    panel(r.review);
    mark();
    if (s.redactions.some((x) => x.verified === null || x.verified === undefined)) { s.poll = setTimeout(() => load().catch(() => {}), POLL); }
  }

  function panel(review) {
    const n = open().length;
    $("#privacy-policy").textContent = review === "before" ? "This show holds every episode for review before it is published."
      : review === "after" ? "This show publishes at once; review the flags afterwards."
      : "This show holds an episode with open flags until an organiser approves it.";
    $("#privacy-summary").textContent = n ? `${n} open flag${n === 1 ? "" : "s"} of ${s.flags.length}.`
      : (s.flags.length ? `No open flags; ${s.flags.length} decided.` : "Nothing was flagged in this episode.");
    $("#flag-list").replaceChildren(...s.flags.slice().sort((a, b) => a.start - b.start).map(item));
    $("#redaction-list").replaceChildren(...(s.redactions.length ? s.redactions.map(redactionItem)
      : [el("li", { class: "muted", text: "None yet." })]));
  }

  function item(f) {
    const when = f.decided_at ? new Date(f.decided_at).toLocaleString() : "";
    const li = el("li", { id: `flag-${f.id}`, class: `flag-item state-${f.state}`, "aria-current": f.id === s.current ? "true" : null },
      el("p", {}, el("strong", { text: kindLabel(f.kind) }), ` at ${clock(f.start)}: `,
        f.text ? el("q", { text: f.text }) : el("span", { class: "muted", text: "(removed)" }), ` · ${f.state}`));
    if (f.state === "open") {
      const b = (text, label, fn) => { const x = el("button", { type: "button", "aria-label": `${label} the ${where(f)}` }, text); x.addEventListener("click", fn); return x; };
      li.append(el("p", { class: "flag-actions" }, b("Go to", "Go to", () => focusFlag(f)), " ",
        b("Redact", "Redact", () => { s.current = f.id; accept(); }), " ",
        b("Dismiss…", "Dismiss", () => { s.current = f.id; dismiss(); })));
    } else if (f.state === "dismissed") {
      li.append(el("p", { class: "muted" }, `Dismissed by ${f.decided_by || "someone"}${when ? ` on ${when}` : ""}: `, el("q", { text: f.reason || "" })));
    } else {
      li.append(el("p", { class: "muted", text: `Redacted by ${f.decided_by || "someone"}${when ? ` on ${when}` : ""}.` }));
    }
    return li;
  }

  function redactionItem(x) {
    const state = x.verified === true ? "passed" : x.verified === false ? "failed" : "pending";
    const found = x.check && typeof x.check === "object"
      ? Object.entries(x.check).filter(([, v]) => ["number", "string", "boolean"].includes(typeof v)).map(([k, v]) => `${k}: ${v}`).join(", ") : "";
    return el("li", { class: `redaction check-${state}`, "data-check": state },
      `${kindLabel(x.kind)} redacted by ${x.by}${x.at ? ` on ${new Date(x.at).toLocaleString()}` : ""}, ${x.occurrences} occurrence${x.occurrences === 1 ? "" : "s"}. `,
      el("strong", { text: `Check: ${CHECK[x.verified === undefined ? null : x.verified]}` }), found ? ` (${found})` : "");
  }

  function selectSpans(spans) {
    const a = spans[0], z = spans[spans.length - 1];
    a.closest(".text").focus();
    const r = document.createRange();
    r.setStartBefore(a.firstChild || a);
    r.setEnd(z.firstChild || z, (z.firstChild || z).length || 0);
    const sel = getSelection();
    sel.removeAllRanges();
    sel.addRange(r);
    a.scrollIntoView({ block: "center" });
  }

  function focusFlag(f) {
    const spans = spansOf(f);
    s.current = f.id;
    s.pos = f.start;
    mark();
    for (const li of $$("#flag-list li")) { if (li.id === `flag-${f.id}`) { li.setAttribute("aria-current", "true"); } else { li.removeAttribute("aria-current"); } }
    if (player && player.readyState) { player.currentTime = f.start; }
    if (spans.length) { selectSpans(spans); }
    const list = open(), k = list.findIndex((x) => x.id === f.id) + 1;
    say(`Flag ${k} of ${list.length}: ${kindLabel(f.kind)} “${f.text || ""}” at ${clock(f.start)}. ` +
        `${api_.keyOf("acceptFlag")} redacts it, ${api_.keyOf("dismissFlag")} dismisses it.`);
  }

  function go(dir) {
    const list = open();
    if (!list.length) { say("No open flags in this episode."); return; }
    const caret = page.caretTime();
    const ref = caret !== null && caret !== undefined ? caret : (s.pos !== null ? s.pos : -1);
    const f = dir > 0 ? list.find((x) => x.start > ref + 0.01) : list.slice().reverse().find((x) => x.start < ref - 0.01);
    if (!f) { say(`No more open flags ${dir > 0 ? "after" : "before"} this point.`); return; }
    focusFlag(f);
  }

  function ready(what) {
    if (s.busy) { say("Still working on the last redaction."); return false; }
    if (page.changed()) { warn(`Save your changes first: ${what} applies to the saved revision.`); return false; }
    return true;
  }

  const currentFlag = () => open().find((f) => f.id === s.current) || null;

  async function redacted(r, what) {
    await page.reload();
    await load();
    const near = words().filter((w) => w.classList.contains("redacted"))
      .sort((a, b) => Math.abs(+a.dataset.s - s.pos) - Math.abs(+b.dataset.s - s.pos))[0];
    if (near) { selectSpans([near]); getSelection().collapseToStart(); }
    const rep = r.republish === "failed" ? `republishing could not start (${r.republish_error || "unknown"})`
      : r.republish === "none" ? "not republished (no publisher here)" : `republishing ${r.republish}`;
    say(`Redacted ${what}: ${r.occurrences} occurrence${r.occurrences === 1 ? "" : "s"} now read [redacted], revision ${r.revision}; ${rep}. The check shows in the Personal data panel.`);
  }

  async function accept() {
    const f = currentFlag();
    if (!f) { say(`Move to a flag first (${api_.keyOf("nextFlag")}).`); return; }
    if (!ready("a redaction")) { return; }
    s.busy = true;
    s.pos = f.start;
    try {
      const r = await api("POST", `${base}/flags/${f.id}/accept`);
      s.current = null;
      await redacted(r, `the ${kindLabel(f.kind)}`);
      warn("");
    } catch (e) {
      warn(`Not redacted: ${e.message}.`);
      if (e instanceof ApiError && e.status === 409) { await load().catch(() => {}); }
    } finally { s.busy = false; }
  }

  async function redactSelection() {
    const sel = getSelection();
    if (!sel.rangeCount || sel.isCollapsed || !view.root.contains(sel.getRangeAt(0).commonAncestorContainer)) {
      say("Select the words to redact in the transcript first (Shift with the arrow keys, or the mouse)."); return;
    }
    if (!ready("a redaction")) { return; }
    const r0 = sel.getRangeAt(0), ws = words(), chosen = [];
    ws.forEach((w, i) => {
      const wr = document.createRange();
      wr.selectNodeContents(w);
      if (r0.compareBoundaryPoints(Range.END_TO_START, wr) < 0 && r0.compareBoundaryPoints(Range.START_TO_END, wr) > 0) { chosen.push(i); }
    });
    if (!chosen.length) { say("The selection holds no words to redact."); return; }
    const first = chosen[0], last = chosen[chosen.length - 1];
    s.busy = true;
    s.pos = +ws[first].dataset.s;
    try {
      const r = await api("POST", `${base}/redact`, { revision: page.revision(), first, last });
      await redacted(r, `${last - first + 1} selected word${last === first ? "" : "s"}`);
      warn("");
    } catch (e) { warn(`Not redacted: ${e.message}.`); } finally { s.busy = false; }
  }

  // Dismissing asks why, in a modal dialog: focus stays inside it and comes back where it was.
  const dlg = $("#dismiss-dialog"), reason = $("#dismiss-reason");
  let back = null, backRange = null, target = null;
  function dismiss() {
    const f = currentFlag();
    if (!f) { say(`Move to a flag first (${api_.keyOf("nextFlag")}).`); return; }
    target = f;
    back = document.activeElement;
    backRange = getSelection().rangeCount ? getSelection().getRangeAt(0).cloneRange() : null;
    $("#dismiss-dialog-text").textContent = `The ${where(f)}: “${f.text || ""}”. The words stay; your reason is kept with your name.`;
    $("#dismiss-error").textContent = "";
    reason.value = "";
    dlg.showModal();
    reason.focus();
  }
  dlg.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); $("#dismiss-form").requestSubmit($("#dismiss-ok")); return; }
    if (ev.key !== "Tab") { return; }
    const stops = $$("textarea, button", dlg).filter((x) => !x.disabled);
    const first = stops[0], last = stops[stops.length - 1];
    if (ev.shiftKey && document.activeElement === first) { ev.preventDefault(); last.focus(); }
    else if (!ev.shiftKey && document.activeElement === last) { ev.preventDefault(); first.focus(); }
  });
  $("#dismiss-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!ev.submitter || ev.submitter.value !== "ok") { dlg.close(); return; }
    const why = reason.value.trim();
    if (!why) { $("#dismiss-error").textContent = "Say why, in a few words."; reason.focus(); return; }
    try {
      await api("POST", `${base}/flags/${target.id}/dismiss`, { reason: why });
    } catch (e) { $("#dismiss-error").textContent = `Not dismissed: ${e.message}.`; return; }
    const f = target;
    s.current = null;
    s.pos = f.start;
    dlg.close();
    await load().catch((e) => warn(`The flags could not be reloaded: ${e.message}.`));
    if (!document.activeElement || document.activeElement === document.body) { $("#privacy-summary").focus(); }   // its button was redrawn
    say(`Dismissed the ${where(f)}; your reason is kept.`);
  });
  dlg.addEventListener("close", () => {
    $("#dismiss-dialog-text").textContent = "";
    reason.value = "";
    if (back && back.isConnected) {
      back.focus();
      if (backRange && view.root.contains(back) && view.root.contains(backRange.commonAncestorContainer)) { getSelection().removeAllRanges(); getSelection().addRange(backRange); }
    }
    back = backRange = null;
  });

  $("#redact-selection").addEventListener("mousedown", (ev) => ev.preventDefault());   // keep the selection
  $("#redact-selection").addEventListener("click", () => redactSelection());
  api_.load = load;
  api_.actions = { nextFlag: () => go(1), prevFlag: () => go(-1), acceptFlag: () => accept(), dismissFlag: () => dismiss(),
                   redactSelection: () => redactSelection() };
  load().catch((e) => warn(`The personal-data flags could not be loaded: ${e.message}.`));
  return api_;
}
