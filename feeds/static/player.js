/* Chorus episode page: click a word to seek, highlight the current word. Plain JS, no build step.
   Without JavaScript the page still works: timestamps link to the media with a #t= fragment. */
(function () {
  "use strict";
  var player = document.getElementById("player");
  var box = document.getElementById("transcript");
  if (!player) { return; }
  var tools = document.getElementById("transcript-tools");
  if (tools) { tools.hidden = false; }
  var follow = document.getElementById("follow");

  function seek(t) {
    player.currentTime = t;
    var p = player.play();
    if (p && p.catch) { p.catch(function () {}); }
  }
  document.addEventListener("click", function (ev) {
    var el = ev.target.closest ? ev.target.closest("[data-seek], .w") : null;
    if (!el) { return; }
    var t = parseFloat(el.getAttribute("data-seek") || el.getAttribute("data-s"));
    if (isNaN(t)) { return; }
    ev.preventDefault();
    seek(t);
  });
  if (!box) { return; }
  var words = Array.prototype.slice.call(box.querySelectorAll(".w"));
  var starts = words.map(function (w) { return parseFloat(w.getAttribute("data-s")); });
  var ends = words.map(function (w) { return parseFloat(w.getAttribute("data-e")); });
  var current = -1;

  function find(t) {            /* last word whose start <= t (binary search) */
    var lo = 0, hi = starts.length - 1, ans = -1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (starts[mid] <= t) { ans = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    if (ans >= 0 && t > ends[ans] + 1.0) { return -1; }   /* in a pause */
    return ans;
  }
  function update() {
    var i = find(player.currentTime);
    if (i === current) { return; }
    if (current >= 0) { words[current].classList.remove("current"); }
    current = i;
    if (i >= 0) {
      words[i].classList.add("current");
      if (follow && follow.checked && !player.paused) {
        words[i].scrollIntoView({ block: "center", behavior: "smooth" });
      }
    }
  }
  var raf = null;
  function loop() { update(); raf = player.paused ? null : window.requestAnimationFrame(loop); }
  player.addEventListener("play", function () { if (!raf) { raf = window.requestAnimationFrame(loop); } });
  player.addEventListener("timeupdate", update);
  player.addEventListener("seeked", update);
  window.__chorusTranscript = { find: find, update: update, count: words.length };
})();
