/* The conflict view: a save from an old base revision overlapped someone else's save (409). Each conflicting
   paragraph shows both versions; the volunteer keeps one or edits the text, and the result is saved on top of
   the latest revision: their other changes kept, ours kept, nothing overwritten silently. */
import { $, el, say } from "./common.js";
import { norm } from "./transcript.js";

const same = (a, b) => !!a && !!b && a.speaker === b.speaker && norm(a.text) === norm(b.text);

/** Three-way merge of one paragraph's words when the two edits do not overlap (one changed run each). */
export function mergeWords(base, ours, theirs) {
  const hunk = (a, b) => {
    let i = 0;
    while (i < a.length && i < b.length && a[i] === b[i]) { i++; }
    let j = 0;
    while (j < a.length - i && j < b.length - i && a[a.length - 1 - j] === b[b.length - 1 - j]) { j++; }
    return { from: i, to: a.length - j, words: b.slice(i, b.length - j) };
  };
  const b = norm(base).split(" "), o = hunk(b, norm(ours).split(" ")), t = hunk(b, norm(theirs).split(" "));
  if (!(o.to <= t.from || t.to <= o.from) || o.from === t.from) { return null; }
  const [first, second] = o.from < t.from ? [o, t] : [t, o];
  return [...b.slice(0, first.from), ...first.words, ...b.slice(first.to, second.from), ...second.words, ...b.slice(second.to)].join(" ");
}

/** The paragraphs to save on top of ``theirs`` (the latest revision): for each paragraph, whichever side changed
    it from ``base``; both: their word edits and ours when they do not overlap, else a conflict to choose.
    Returns {result, conflicts: [index]} (result holds our version at each conflict until chosen). */
export function resolve(base, ours, theirs, serverConflicts) {
  const conflicts = new Set(serverConflicts.filter((i) => i >= 0 && i < ours.length));
  if (!base || base.length !== ours.length || theirs.length !== ours.length) {
    return { result: ours.map((o) => ({ ...o })), conflicts: [...conflicts].sort((a, b) => a - b), partial: true };
  }
  const result = ours.map((o, i) => {
    const b = base[i], t = theirs[i];
    if (same(o, b) || same(o, t)) { return t; }
    if (same(t, b)) { return o; }
    const text = mergeWords(b.text, o.text, t.text);
    const speaker = o.speaker !== b.speaker ? (t.speaker !== b.speaker && t.speaker !== o.speaker ? null : o.speaker) : t.speaker;
    if (text === null || speaker === null || conflicts.has(i)) { conflicts.add(i); return o; }
    return { speaker, text };
  });
  return { result, conflicts: [...conflicts].sort((a, b) => a - b), partial: false };
}

/** Show the conflict view after a 409: ``latest`` is the transcript as it is now ({revision, paragraphs}). */
export function showConflicts(data, { ours, base, latest, save }) {
  const box = $("#conflicts"), list = $("#conflict-list");
  const theirs = latest.paragraphs.map((p) => ({ speaker: p.speaker, text: norm(p.text) }));
  const plan = resolve(base, ours, theirs, (data.conflicts || []).map((c) => c.paragraph));
  const items = plan.conflicts.map((i, k) => {
    const mine = ours[i], other = theirs[i] || { speaker: mine.speaker, text: "" };
    const name = `conflict-${k}`;
    const text = el("textarea", { id: `${name}-text`, rows: 4 });
    const speaker = el("input", { id: `${name}-speaker`, autocomplete: "off" });
    const pick = (v) => { text.value = v.text; speaker.value = v.speaker || ""; };
    pick(mine);
    const radio = (value, label, v, checked) => {
      const r = el("input", { type: "radio", name, id: `${name}-${value}`, value, checked });
      r.addEventListener("change", () => pick(v));
      return el("p", {}, r, " ", el("label", { for: `${name}-${value}`, text: label }));
    };
    const li = el("li", {},
      el("h3", { text: `Paragraph ${i + 1}` }),
      el("div", { class: "versions" },
        el("figure", {}, el("figcaption", { text: "Your version" }), el("blockquote", { text: `${mine.speaker}: ${mine.text}` })),
        el("figure", {}, el("figcaption", { text: `Their version (revision ${latest.revision})` }),
          el("blockquote", { text: `${other.speaker}: ${other.text}` }))),
      el("fieldset", {}, el("legend", { text: `Keep which for paragraph ${i + 1}?` }),
        radio("ours", "Mine", mine, true), radio("theirs", "Theirs", other, false)),
      el("p", {}, el("label", { for: speaker.id, text: "Speaker to save" }), " ", speaker),
      el("p", {}, el("label", { for: text.id, text: "Text to save (edit it if neither is right)" }), text));
    return { i, li, text, speaker };
  });
  list.replaceChildren(...items.map((x) => x.li));
  if (plan.partial) {
    list.append(el("li", { text: "The paragraphs were split or joined meanwhile, so the rest of your version is saved as it is: check the history afterwards." }));
  }
  box.hidden = false;
  box.focus();
  box.scrollIntoView({ block: "start" });
  say(`Not saved: ${items.length} paragraph${items.length === 1 ? "" : "s"} changed by someone else too. Choose below.`);
  $("#resolve-save").onclick = () => {
    const result = plan.result.slice();
    for (const x of items) { result[x.i] = { speaker: x.speaker.value.trim(), text: norm(x.text.value) }; }
    save(result, latest.revision);
  };
  $("#resolve-cancel").onclick = () => { box.hidden = true; say("Conflict view closed; your changes are still unsaved."); $("#save").focus(); };
}
