/* Chorus editor, entry point (ES module; CSP default-src 'self': no inline script, data from the JSON API
   and data- attributes). The editor page: player, editable transcript, shortcuts, drafts that survive an
   expired session, save with merge/conflict, speakers, find and replace, caption warnings, notes, approve.
   The history page needs no script: its diff is rendered on the server and restore is a form. */
import { $, api, ApiError, clock, el, say, warn } from "./common.js";
import { Transcript, norm } from "./transcript.js";
import { Shortcuts } from "./shortcuts.js";
import { setupTools } from "./tools.js";
import { showConflicts } from "./conflict.js";
import { setupPrivacy } from "./privacy.js";

const main = $("#main");
const SPEEDS = [0.5, 0.6, 0.75, 0.9, 1, 1.1, 1.25, 1.5, 1.75, 2];
const DRAFT_EVERY = 4000, CHECK_AFTER = 1200, HEARTBEAT = 30000, REPLAY = 1.5;

if (main && main.dataset.page === "editor") { setupEditor(main.dataset.episode).catch((e) => warn(`The editor could not start: ${e.message}`)); }

async function setupEditor(id) {
  const base = `/api/episodes/${encodeURIComponent(id)}`;
  const local = `chorus-draft:${id}`;
  const st = { revision: +main.dataset.revision || 0, baseParas: [], changed: false, saving: false, typingPaused: false,
               draftTimer: null, checkTimer: null };
  const saveState = $("#save-state");

  const noDraft = (e) => { if (e instanceof ApiError && e.status === 404) { return null; } throw e; };
  const [info, tr, serverDraft] = await Promise.all([api("GET", base), api("GET", `${base}/transcript`),
                                                     api("GET", `${base}/draft`).catch(noDraft)]);
  performance.mark("chorus:data");
  const player = makePlayer(info.media || {});
  const view = new Transcript($("#transcript"), { onEdit, onSpeaker: (i) => tools.reassign(i) });
  st.revision = tr.revision;
  st.baseParas = tr.paragraphs.map((p) => ({ speaker: p.speaker, text: norm(p.text) }));
  st.words = tr.words;

  // A draft: the server's, or this browser's copy when it is newer (saved while the session had expired).
  let draft = serverDraft, mine = null;
  try { mine = JSON.parse(localStorage.getItem(local) || "null"); } catch (e) { mine = null; }
  if (mine && (!draft || Date.parse(mine.saved_at) > Date.parse(draft.saved_at || 0))) { draft = mine; }
  const same = (a, b) => a.length === b.length && a.every((p, i) => p.speaker === b[i].speaker && norm(p.text) === b[i].text);
  if (draft && draft.paragraphs && !same(draft.paragraphs, st.baseParas)) {
    view.render(draft.paragraphs, draft.paragraphs.length === tr.paragraphs.length ? tr.words : []);
    st.revision = draft.base_revision || st.revision;
    if (st.revision !== tr.revision) { st.baseParas = null; }       // an older base: no three-way merge in the page
    markChanged(`Restored your unsaved draft from ${new Date(draft.saved_at).toLocaleString()}. Save to make it a revision.`);
  } else {
    view.render(tr.paragraphs, tr.words);
  }
  performance.mark("chorus:rendered");
  $("#transcript").setAttribute("aria-busy", "false");
  showProblems(tr.caption_problems || []);

  const tools = setupTools({ view, base, onChange: () => markChanged() });
  setupPlayback(player, view);
  const actions = playerActions(player, view);
  actions.save = () => save();
  const privacy = setupPrivacy({ view, base, player, page: { revision: () => st.revision, changed: () => st.changed,
    reload: reloadTranscript, caretTime: () => { const w = caretWord(); return w ? +w.dataset.s : null; } } });
  Object.assign(actions, privacy.actions);
  const shortcuts = new Shortcuts(actions);
  privacy.keyOf = (id) => shortcuts.keys[id];
  $("#save").addEventListener("click", () => save());
  const approve = $("#approve");
  if (approve) { approve.addEventListener("click", () => approveRevision()); }
  heartbeat();
  setInterval(heartbeat, HEARTBEAT);
  window.addEventListener("pagehide", () => {
    fetch(`${base}/presence`, { method: "POST", keepalive: true, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": $('meta[name="csrf-token"]').content }, body: '{"leaving": true}' });
  });
  window.addEventListener("beforeunload", (ev) => { if (st.changed) { keepLocal(); ev.preventDefault(); ev.returnValue = ""; } });
  main.dataset.readyMs = String(Math.round(performance.now()));     // measured by the tests: interactive at
  main.dataset.ready = "1";

  function onEdit() {
    if (!player.paused) { player.pause(); st.typingPaused = true; }   // typing pauses playback
    if (!st.changed) { markChanged(); }
    if (!st.draftTimer) { st.draftTimer = setTimeout(saveDraft, DRAFT_EVERY); }
    clearTimeout(st.checkTimer);
    st.checkTimer = setTimeout(check, CHECK_AFTER);
  }

  function markChanged(message) {
    st.changed = true;
    saveState.textContent = message || "Unsaved changes.";
    if (!st.draftTimer) { st.draftTimer = setTimeout(saveDraft, DRAFT_EVERY); }
  }

  function keepLocal(paragraphs) {
    const d = { base_revision: st.revision, paragraphs: paragraphs || view.collect(), saved_at: new Date().toISOString() };
    try { localStorage.setItem(local, JSON.stringify(d)); } catch (e) { /* full: the server copy remains */ }
    return d;
  }

  async function saveDraft() {
    st.draftTimer = null;
    if (!st.changed || st.saving) { return; }
    const d = keepLocal();
    try {
      await api("PUT", `${base}/draft`, { base_revision: d.base_revision, paragraphs: d.paragraphs });
      saveState.textContent = `Draft kept on the server at ${new Date().toLocaleTimeString()}; not yet a revision.`;
    } catch (e) {
      saveState.textContent = `Draft kept in this browser only (${e.message}).`;
    }
  }

  async function check() {
    try {
      const r = await api("POST", `${base}/check`, { paragraphs: view.collect() }, { quiet401: true });
      showProblems(r.caption_problems || []);
    } catch (e) { /* warnings are advisory; the save reports real errors */ }
  }

  function showProblems(problems) {
    const box = $("#warnings");
    if (!problems.length) { box.replaceChildren(el("p", { text: "No caption warnings." })); return; }
    const cue = (p) => (typeof p.start === "number" ? `${clock(p.start)}: ` : (p.cue !== undefined ? `cue ${p.cue}: ` : ""));
    box.replaceChildren(el("p", { text: `${problems.length} caption warning${problems.length === 1 ? "" : "s"}:` }),
      el("ul", {}, ...problems.slice(0, 50).map((p) => el("li", { text: `${cue(p)}${p.message || p.kind}` }))));
  }

  async function save(paragraphs = view.collect(), baseRevision = st.revision) {
    if (st.saving) { return; }
    st.saving = true;
    clearTimeout(st.draftTimer);
    st.draftTimer = null;
    saveState.textContent = "Saving…";
    keepLocal(paragraphs);
    try {
      const r = await api("PUT", `${base}/transcript`, { base_revision: baseRevision, paragraphs });
      st.saving = false;
      await saved(r, paragraphs);
    } catch (e) {
      st.saving = false;
      if (e instanceof ApiError && e.status === 409 && e.data.conflicts) {
        saveState.textContent = "Not saved: conflicting changes. Choose below.";
        const latest = await api("GET", `${base}/transcript`);
        showConflicts(e.data, { ours: paragraphs, base: st.baseParas, latest, save: (paras, rev) => save(paras, rev) });
      } else {
        saveState.textContent = `Not saved: ${e.message}. Your changes are kept in this browser.`;
        warn(`Not saved: ${e.message}.`);
      }
    }
  }

  async function saved(r, paragraphs) {
    st.revision = r.revision;
    st.changed = false;
    localStorage.removeItem(local);
    if (r.merged || paragraphs.length !== view.paras.length || paragraphs.some((p, i) => p.text !== view.text(i) || p.speaker !== view.paras[i].speaker)) {
      const fresh = await api("GET", `${base}/transcript`);     // show what the revision now holds
      st.revision = fresh.revision;
      view.render(fresh.paragraphs, fresh.words);
      tools.speakersChanged();
      paragraphs = fresh.paragraphs;
    }
    st.baseParas = paragraphs.map((p) => ({ speaker: p.speaker, text: norm(p.text) }));
    $("#revision").textContent = String(r.revision);
    if (approve) { approve.textContent = `Approve revision ${r.revision}`; }
    $("#conflicts").hidden = true;
    const msg = r.merged ? `Saved as revision ${r.revision}, merged with changes someone else saved meanwhile.` : `Saved as revision ${r.revision}.`;
    saveState.textContent = msg;
    warn("");
    say(msg);
  }

  async function reloadTranscript() {          // a redaction made a new revision on the server: show it
    const fresh = await api("GET", `${base}/transcript`);
    st.revision = fresh.revision;
    st.changed = false;
    localStorage.removeItem(local);
    view.render(fresh.paragraphs, fresh.words);
    tools.speakersChanged();
    st.baseParas = fresh.paragraphs.map((p) => ({ speaker: p.speaker, text: norm(p.text) }));
    $("#revision").textContent = String(fresh.revision);
    if (approve) { approve.textContent = `Approve revision ${fresh.revision}`; }
    saveState.textContent = `Revision ${fresh.revision} (with the redaction) is shown.`;
    showProblems(fresh.caption_problems || []);
  }

  async function approveRevision() {
    if (st.changed) { warn(`Save first: approving applies to the saved revision ${st.revision}, not to unsaved changes.`); return; }
    approve.disabled = true;
    try {
      const r = await api("POST", `${base}/approve`, { revision: st.revision });
      $("#episode-status").textContent = r.republish === "done" ? "published" : "approved";
      say(`Revision ${r.approved} approved; republishing ${r.republish === "done" ? "done" : "started"}.`);
    } catch (e) {
      warn(`Not approved: ${e.message}.`);
    } finally { approve.disabled = false; }
  }

  async function heartbeat() {
    try {
      const r = await api("POST", `${base}/presence`, {}, { quiet401: true });
      const others = (r.editing || []).filter((e) => e.user !== main.dataset.user);
      const box = $("#editing");
      const text = others.map((e) => `also being edited by ${e.user} since ${new Date(e.since).toLocaleTimeString()}`).join("; ");
      if (box && box.textContent !== text) { box.textContent = text; }
    } catch (e) { /* presence is advisory */ }
  }

  function makePlayer(media) {
    const box = $("#player-box");
    let p;
    if (media.video_url) {
      p = el("video", { id: "player", controls: true, preload: "metadata", src: media.video_url, playsinline: true });
      if (media.vtt_url) { p.append(el("track", { kind: "captions", src: media.vtt_url, srclang: "en", label: "Captions", default: true })); }
    } else {
      p = el("audio", { id: "player", controls: true, preload: "metadata", src: media.audio_url || "" });
    }
    p.setAttribute("aria-label", "Episode player");
    box.replaceChildren(p);
    return p;
  }

  function playerActions(p, v) {
    const speed = (d) => {
      const k = SPEEDS.findIndex((s) => s >= p.playbackRate - 0.001);
      p.playbackRate = SPEEDS[Math.min(SPEEDS.length - 1, Math.max(0, (k < 0 ? 4 : k) + d))];
      $("#speed").textContent = `${p.playbackRate.toFixed(2)}×`;
      say(`Speed ${p.playbackRate.toFixed(2)}×`);
    };
    const play = () => { const r = p.play(); if (r && r.catch) { r.catch((e) => warn(`Cannot play: ${e.message}`)); } };
    return {
      playPause: () => {
        if (p.paused) {
          if (st.typingPaused) { p.currentTime = Math.max(0, p.currentTime - REPLAY); st.typingPaused = false; }
          play();
        } else { p.pause(); }
      },
      back: () => { p.currentTime = Math.max(0, p.currentTime - 5); },
      forward: () => { p.currentTime = Math.min(p.duration || Infinity, p.currentTime + 5); },
      slower: () => speed(-1),
      faster: () => speed(1),
      nextUnsure: () => {
        const w = v.nextUnsure(Math.max(p.currentTime, caretWord() ? +caretWord().dataset.s : 0));
        if (!w) { say("No more low-confidence words or gaps after this point."); return; }
        p.currentTime = +w.dataset.s;
        selectWord(w);
        say(`${w.classList.contains("gap") ? "Gap" : "Unsure word"} “${w.textContent}” at ${clock(+w.dataset.s)}${w.dataset.p ? `, confidence ${w.dataset.p}` : ""}.`);
      },
      playHere: () => { const w = caretWord(); if (w) { p.currentTime = +w.dataset.s; st.typingPaused = false; play(); } },
    };
  }

  function caretWord() {
    const sel = getSelection();
    if (!sel.rangeCount) { return null; }
    let n = sel.anchorNode;
    if (n && n.nodeType === 3) { n = n.parentNode.classList.contains("w") ? n.parentNode : (n.previousElementSibling || n.nextElementSibling || n.parentNode); }
    if (n && n.classList && n.classList.contains("text")) { n = n.children[Math.min(sel.anchorOffset, n.children.length - 1)] || null; }
    return n && n.classList && n.classList.contains("w") && $("#transcript").contains(n) ? n : null;
  }

  function selectWord(w) {
    w.closest(".text").focus();
    const r = document.createRange();
    r.selectNodeContents(w);
    const sel = getSelection();
    sel.removeAllRanges();
    sel.addRange(r);
    w.scrollIntoView({ block: "center" });
  }

  function setupPlayback(p, v) {
    const follow = () => {
      const w = v.highlight(p.currentTime);
      if (w && !p.paused && !v.root.contains(document.activeElement)) {
        const r = w.getBoundingClientRect();
        if (r.top < 0 || r.bottom > innerHeight) { w.scrollIntoView({ block: "center" }); }
      }
    };
    const tick = () => { follow(); if (!p.paused) { requestAnimationFrame(tick); } };
    p.addEventListener("play", () => requestAnimationFrame(tick));
    p.addEventListener("seeked", follow);
    p.addEventListener("timeupdate", follow);
    v.root.addEventListener("click", (ev) => {                 // click a word: play from there
      const w = ev.target.closest(".w");
      if (!w || !getSelection().isCollapsed) { return; }
      p.currentTime = +w.dataset.s;
      st.typingPaused = false;
    });
  }
}
