/* The transcript as editable speaker paragraphs of timed words.
   Each paragraph is one contenteditable (plaintext-only) text box holding a span per word (data-s/data-e:
   seconds), so that the browser edits text natively: a keystroke touches one paragraph and no script
   re-renders anything. Paragraph starts are kept in an array for finding the word being played. */
import { $$, clock } from "./common.js";

export const LOW = 0.5;   // below this recogniser confidence a word is marked for checking (said on the page)
const GAP = /^\[inaudible/i;

export const norm = (s) => String(s || "").replace(/\s+/g, " ").trim();

const ESC = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export const esc = (v) => String(v).replace(/[&<>"']/g, (c) => ESC[c]);

/** The words of one paragraph as HTML (built as a string: for 20,000 words about three times faster than
    creating elements one by one); every text is escaped. */
function wordsHtml(words) {
  let out = "";
  for (let k = 0; k < words.length; k++) {
    const w = words[k], p = w.probability;
    const cls = GAP.test(w.text) ? "w gap" : (p !== undefined && p !== null && p < LOW ? "w low" : "w");
    out += `${k ? " " : ""}<span class="${cls}" data-s="${(+w.start).toFixed(2)}" data-e="${(+w.end).toFixed(2)}"` +
      `${p !== undefined && p !== null ? ` data-p="${(+p).toFixed(2)}"` : ""}>${esc(w.text)}</span>`;
  }
  return out;
}

function fillWords(box, words) { box.innerHTML = wordsHtml(words); }

/** Match new tokens to old timed words (longest common subsequence over one paragraph, ~50 words), so that
    unchanged words keep their times and new words share the time around them. Returns word objects. */
export function retime(old, tokens) {
  const n = old.length, m = tokens.length;
  const dp = Array.from({ length: n + 1 }, () => new Uint16Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      dp[i][j] = old[i].text === tokens[j] ? dp[i + 1][j + 1] + 1 : Math.max(dp[i + 1][j], dp[i][j + 1]);
    }
  }
  const out = new Array(m);
  let i = 0, j = 0;
  while (i < n && j < m) {
    if (old[i].text === tokens[j]) { out[j] = old[i]; i++; j++; } else if (dp[i + 1][j] >= dp[i][j + 1]) { i++; } else { j++; }
  }
  const t0 = n ? +old[0].start : 0, t1 = n ? +old[n - 1].end : 0;
  for (let a = 0; a < m;) {               // runs of new words: spread between their neighbours
    if (out[a]) { a++; continue; }
    let b = a;
    while (b < m && !out[b]) { b++; }
    const from = a ? +out[a - 1].end : t0, to = b < m ? +out[b].start : Math.max(t1, from);
    const step = (to - from) / (b - a);
    for (let k = a; k < b; k++) { out[k] = { text: tokens[k], start: from + (k - a) * step, end: from + (k - a + 1) * step, probability: 1, origin: "estimated" }; }
    a = b;
  }
  return out.map((w, k) => (w.text === tokens[k] ? w : { ...w, text: tokens[k] }));
}

/** Words of a rendered paragraph's text box, as {text, start, end, probability}. */
export function spansOf(box) {
  return $$(".w", box).map((s) => ({ text: s.textContent, start: +s.dataset.s, end: +s.dataset.e, probability: s.dataset.p === undefined ? undefined : +s.dataset.p }));
}

export class Transcript {
  constructor(root, { onEdit, onSpeaker }) {
    this.root = root;
    this.onEdit = onEdit;
    this.onSpeaker = onSpeaker;
    this.paras = [];          // [{div, box, button, speaker, start}]
    this.dirty = new Set();
    this.current = null;
    root.addEventListener("input", (ev) => {
      const p = ev.target.closest(".para");
      if (p) { this.dirty.add(+p.dataset.i); this.onEdit(+p.dataset.i); }
    });
    root.addEventListener("keydown", (ev) => {   // one paragraph per speaker turn: Enter never splits one
      if (ev.key === "Enter" && !ev.ctrlKey && !ev.metaKey && ev.target.classList.contains("text")) { ev.preventDefault(); }
    });
    root.addEventListener("click", (ev) => {
      const b = ev.target.closest("button.spk");
      if (b) { this.onSpeaker(+b.closest(".para").dataset.i); }
    });
  }

  /** Render ``paragraphs`` [{speaker, text}] over the timed ``words`` (each with ``paragraph``). A paragraph
      whose text differs from its words (a restored draft) is retimed against them. */
  render(paragraphs, words) {
    const byPara = paragraphs.map(() => []);
    for (const w of words) {
      const k = Math.min(Math.max(0, w.paragraph | 0), byPara.length - 1);
      if (k >= 0) { byPara[k].push(w); }
    }
    let html = "", prev = 0;
    const starts = paragraphs.map((p, i) => {
      let ws = byPara[i];
      const toks = norm(p.text).split(" ").filter(Boolean);
      if (ws.length !== toks.length || ws.some((w, k) => w.text !== toks[k])) { ws = retime(ws, toks); }
      const start = ws.length ? +ws[0].start : prev;
      prev = start;
      html += `<div class="para" data-i="${i}"><p class="who"><button type="button" class="spk"></button> ` +
        `<span class="ts">${clock(start)}</span></p><div class="text" contenteditable="plaintext-only" role="textbox" ` +
        `aria-multiline="true" spellcheck="true">${wordsHtml(ws)}</div></div>`;
      return start;
    });
    this.root.innerHTML = html;
    const divs = this.root.children;
    this.paras = paragraphs.map((p, i) => {
      const div = divs[i];
      const para = { div, box: div.lastElementChild, button: div.firstElementChild.firstElementChild, speaker: p.speaker || "", start: starts[i] };
      this.label(para, i);
      return para;
    });
    this.dirty.clear();
    this.current = null;
    this.starts = starts;
    if (this.onRender) { this.onRender(); }   // e.g. the personal-data flags mark their words again
  }

  label(para, i) {
    para.div.dataset.speaker = para.speaker;
    para.button.textContent = para.speaker || "Unknown speaker";
    para.button.setAttribute("aria-label", `${para.speaker || "Unknown speaker"}: change the speaker of paragraph ${i + 1}`);
    para.box.setAttribute("aria-label", `Paragraph ${i + 1}, ${para.speaker || "unknown speaker"}, at ${clock(para.start)}`);
  }

  text(i) { return norm(this.paras[i].box.textContent); }

  /** The paragraphs as the API takes them: [{speaker, text}]. */
  collect() { return this.paras.map((p, i) => ({ speaker: p.speaker, text: this.text(i) })); }

  speakers() { return [...new Set(this.paras.map((p) => p.speaker))].filter(Boolean).sort(); }

  setSpeaker(i, name) {
    const p = this.paras[i];
    if (p.speaker === name) { return false; }
    p.speaker = name;
    this.label(p, i);
    this.dirty.add(i);
    return true;
  }

  /** Replace a paragraph's text, keeping the times of words that stay. */
  setText(i, text) {
    const p = this.paras[i];
    const toks = norm(text).split(" ").filter(Boolean);
    fillWords(p.box, retime(spansOf(p.box), toks));
    this.dirty.add(i);
  }

  /** The word span being spoken at ``t`` seconds (binary search over paragraph starts, then one paragraph). */
  wordAt(t) {
    const s = this.starts || [];
    let lo = 0, hi = s.length - 1, k = -1;
    while (lo <= hi) { const mid = (lo + hi) >> 1; if (s[mid] <= t) { k = mid; lo = mid + 1; } else { hi = mid - 1; } }
    if (k < 0) { return null; }
    let best = null;
    for (const w of this.paras[k].box.getElementsByClassName("w")) { if (+w.dataset.s <= t + 0.01) { best = w; } else { break; } }
    return best;
  }

  /** Mark the word being spoken (aria-current); returns it when it changed. */
  highlight(t) {
    const w = this.wordAt(t);
    if (w === this.current) { return null; }
    if (this.current) { this.current.classList.remove("current"); this.current.removeAttribute("aria-current"); }
    this.current = w;
    if (w) { w.classList.add("current"); w.setAttribute("aria-current", "true"); }
    return w;
  }

  /** The next low-confidence word or [inaudible] gap starting after ``t``. */
  nextUnsure(t) {
    for (const w of this.root.querySelectorAll(".w.low, .w.gap")) { if (+w.dataset.s > t + 0.05) { return w; } }
    return null;
  }
}
