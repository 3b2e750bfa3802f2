/* The conflict view: a save from an old base revision overlapped someone else's save (409). Each conflicting
   paragraph shows both versions; the volunteer keeps one or edits the text, and the result is saved on top of
   the latest revision: their other changes kept, ours kept, nothing overwritten silently. */
import { $, el, say } from "./common.js";
import { norm } from "./transcript.js";

const asPara = (v, fallback) => (v && typeof v === "object" ? { speaker: v.speaker ?? fallback.speaker, text: norm(v.text) }
  : { speaker: fallback.speaker, text: norm(v ?? "") });
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

export function showConflicts(data, { ours, base, fetchLatest, save }) {
  const box = $("#conflicts"), list = $("#conflict-list");
  const items = data.conflicts.map((c, k) => {
    const i = c.paragraph;
    const mine = asPara(c.ours, ours[i] || {}), theirs = asPara(c.theirs, mine);
    const name = `conflict-${k}`;
    const text = el("textarea", { id: `${name}-text`, rows: 4 });
    text.value = mine.text;
    const pick = (v) => { text.value = v.text; speaker.value = v.speaker; };
    const radio = (value, label, v, checked) => {
      const r = el("input", { type: "radio", name, id: `${name}-${value}`, value, checked });
      r.addEventListener("change", () => pick(v));
      return el("p", {}, r, " ", el("label", { for: `${name}-${value}`, text: label }));
    };
    const speaker = el("input", { id: `${name}-speaker`, autocomplete: "off" });
    speaker.value = mine.speaker || "";
    const li = el("li", {},
      el("h3", { text: `Paragraph ${i + 1}` }),
      el("div", { class: "versions" },
        el("figure", {}, el("figcaption", { text: "Your version" }), el("blockquote", { text: `${mine.speaker}: ${mine.text}` })),
        el("figure", {}, el("figcaption", { text: `Their version (revision ${data.latest_revision})` }),
          el("blockquote", { text: `${theirs.speaker}: ${theirs.text}` }))),
      el("fieldset", {}, el("legend", { text: `Keep which for paragraph ${i + 1}?` }),
        radio("ours", "Mine", mine, true), radio("theirs", "Theirs", theirs, false)),
      el("p", {}, el("label", { for: speaker.id, text: "Speaker to save" }), " ", speaker),
      el("p", {}, el("label", { for: text.id, text: "Text to save (edit it if neither is right)" }), text));
    return { i, li, text, speaker };
  });
  list.replaceChildren(...items.map((x) => x.li));
  box.hidden = false;
  box.focus();
  box.scrollIntoView({ block: "start" });
  say(`Not saved: ${items.length} paragraph${items.length === 1 ? "" : "s"} changed by someone else too. Choose below.`);

  const resolveSave = async () => {
    const latest = await fetchLatest();
    const theirs = latest.paragraphs.map((p) => ({ speaker: p.speaker, text: norm(p.text) }));
    const chosen = new Map(items.map((x) => [x.i, { speaker: x.speaker.value.trim(), text: norm(x.text.value) }]));
    let result;
    if (base && base.length === ours.length && theirs.length === ours.length) {
      result = ours.map((o, i) => {
        if (chosen.has(i)) { return chosen.get(i); }
        if (same(o, base[i])) { return theirs[i]; }
        if (same(theirs[i], base[i]) || same(theirs[i], o)) { return o; }
        const speaker = o.speaker !== base[i].speaker ? o.speaker : theirs[i].speaker;
        return { speaker, text: mergeWords(base[i].text, o.text, theirs[i].text) ?? norm(o.text) };
      });
    } else {
      result = ours.map((o, i) => chosen.get(i) || o);
    }
    await save(result, latest.revision);
  };
  $("#resolve-save").onclick = () => resolveSave();
  $("#resolve-cancel").onclick = () => { box.hidden = true; say("Conflict view closed; your changes are still unsaved."); $("#save").focus(); };
}
