/* Chorus episode page. Plain JS, no build step.
   - Play from any word: click it, or Tab to the transcript (one tab stop: a roving tabindex), move
     with Left/Right (Home/End), and press Enter or Space. The word being spoken has aria-current.
   - Follows playback, but stops following as soon as the listener scrolls or moves focus while it
     plays; "Back to the current word" resumes. Scrolls instantly under prefers-reduced-motion.
   Without JavaScript the page still works: timestamps and chapters link to the media with a #t=
   fragment, and the controls below (which need this script) stay hidden. */
(function () {
  "use strict";
  var player = document.getElementById("player");
  if (!player) { return; }
  var box = document.getElementById("transcript");
  var follow = document.getElementById("follow");
  var back = document.getElementById("back-to-word");
  var reduce = window.matchMedia ? window.matchMedia("(prefers-reduced-motion: reduce)") : null;
  var words = [], items = [], itemOf = [], starts = [], ends = [];
  var current = -1, active = -1, following = true, ownScrollUntil = 0, ownFocus = false;

  function seek(t) {
    player.currentTime = t;
    following = true;            /* the listener chose a place: follow from there, */
    ownScrollUntil = Math.max(ownScrollUntil, Date.now() + 250);   /* not stopped by a scroll from before */
    var p = player.play();
    if (p && p.catch) { p.catch(function () {}); }
  }
  document.addEventListener("click", function (ev) {
    var el = ev.target.closest ? ev.target.closest("[data-seek], #transcript .w") : null;
    if (!el) { return; }
    var t = parseFloat(el.getAttribute("data-seek") || el.getAttribute("data-s"));
    if (isNaN(t)) { return; }
    ev.preventDefault();
    if (items.indexOf(el) >= 0) { setActive(items.indexOf(el)); }
    seek(t);
  });
  if (!box) { return; }
  document.getElementById("transcript-tools").hidden = false;
  box.classList.add("live");

  /* The roving items: every word, and the timestamp of a segment without timed words. */
  Array.prototype.forEach.call(box.querySelectorAll(".w, a.ts"), function (el) {
    var isWord = el.classList.contains("w");
    if (isWord || !el.parentNode.querySelector(".w")) {
      if (isWord) { itemOf.push(items.length); words.push(el); }
      items.push(el);
    }
    el.tabIndex = -1;           /* one tab stop for the whole transcript (set below) */
  });
  starts = words.map(function (w) { return parseFloat(w.getAttribute("data-s")); });
  ends = words.map(function (w) { return parseFloat(w.getAttribute("data-e")); });
  function setActive(k) {
    if (k === active || k < 0 || k >= items.length) { return; }
    if (active >= 0) { items[active].tabIndex = -1; }
    items[k].tabIndex = 0;
    active = k;
  }
  setActive(0);

  box.addEventListener("keydown", function (ev) {
    var k = items.indexOf(ev.target);
    if (k < 0 || ev.altKey || ev.ctrlKey || ev.metaKey) { return; }
    var rtl = window.getComputedStyle(box).direction === "rtl";
    var to = { ArrowRight: rtl ? k - 1 : k + 1, ArrowLeft: rtl ? k + 1 : k - 1, Home: 0, End: items.length - 1 }[ev.key];
    if (to !== undefined) {
      ev.preventDefault();
      to = Math.max(0, Math.min(items.length - 1, to));
      setActive(to);
      items[to].focus();
    } else if (ev.key === "Enter" || ev.key === " ") {
      ev.preventDefault();       /* Space must not scroll the page; Enter must not follow the link */
      var el = items[k];
      seek(parseFloat(el.getAttribute("data-s") || el.getAttribute("data-seek")));
    }
  });

  function find(t) {            /* last word whose start <= t (binary search) */
    var lo = 0, hi = starts.length - 1, ans = -1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (starts[mid] <= t) { ans = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    if (ans >= 0 && t > ends[ans] + 1.0) { return -1; }   /* in a pause */
    return ans;
  }
  function bring(el) {          /* into the middle of the window, unless it is there already */
    var r = el.getBoundingClientRect(), h = window.innerHeight || document.documentElement.clientHeight;
    if (r.top >= h * 0.15 && r.bottom <= h * 0.85) { return; }
    var instant = reduce && reduce.matches;
    ownScrollUntil = Date.now() + (instant ? 250 : 1500);
    el.scrollIntoView({ block: "center", behavior: instant ? "auto" : "smooth" });
  }
  function showBack() {
    if (back) { back.hidden = current < 0 || (following && (!follow || follow.checked)); }
  }
  function stopFollowing() {    /* only what the listener does while it plays counts */
    if (following && !player.paused) { following = false; showBack(); }
  }
  function update() {
    var i = find(player.currentTime);
    if (i !== current) {
      if (current >= 0) { words[current].classList.remove("current"); words[current].removeAttribute("aria-current"); }
      current = i;
      if (i >= 0) {
        words[i].classList.add("current");
        words[i].setAttribute("aria-current", "true");
        if (!box.contains(document.activeElement)) { setActive(itemOf[i]); }   /* Tab lands on it */
        if (following && (!follow || follow.checked) && !player.paused) { bring(words[i]); }
      }
    }
    showBack();
  }

  window.addEventListener("wheel", stopFollowing, { passive: true });
  window.addEventListener("touchmove", stopFollowing, { passive: true });
  window.addEventListener("scroll", function () { if (Date.now() > ownScrollUntil) { stopFollowing(); } }, { passive: true });
  window.addEventListener("scrollend", function () { ownScrollUntil = 0; });
  document.addEventListener("keydown", function (ev) {   /* keys that scroll the page itself */
    var t = ev.target;
    if (/^(PageUp|PageDown|ArrowUp|ArrowDown| |Home|End)$/.test(ev.key) &&
        (t === document.body || t === document.documentElement)) { stopFollowing(); }
  });
  document.addEventListener("focusin", function (ev) {   /* the player and these controls are not "away" */
    if (!ownFocus && ev.target !== back && ev.target !== player && ev.target !== follow) { stopFollowing(); }
  });
  if (follow) {
    follow.addEventListener("change", function () {
      following = follow.checked;
      if (following && current >= 0) { bring(words[current]); }
      showBack();
    });
  }
  if (back) {
    back.addEventListener("click", function () {
      if (current < 0) { return; }
      following = !follow || follow.checked;
      setActive(itemOf[current]);
      ownFocus = true;
      words[current].focus({ preventScroll: true });   /* the button goes away: focus the word it leads to */
      ownFocus = false;
      bring(words[current]);
      showBack();
    });
  }

  var raf = null;
  function loop() { update(); raf = player.paused ? null : window.requestAnimationFrame(loop); }
  player.addEventListener("play", function () { if (!raf) { raf = window.requestAnimationFrame(loop); } });
  player.addEventListener("timeupdate", update);
  player.addEventListener("seeked", update);
  window.__chorusTranscript = { find: find, update: update, count: words.length };
})();
