// Storyline: the only script on the pages (no inline scripts; CSP script-src 'self').
// When the address points at a passage (#s{start}-{end}), light every piece of that
// passage: overlapping passages are cut into several <mark> pieces that list their
// passages in data-s, and CSS :target only reaches the first piece.
(function () {
  "use strict";
  function light() {
    var old = document.querySelectorAll("mark.hit");
    for (var i = 0; i < old.length; i++) old[i].classList.remove("hit");
    var id = decodeURIComponent(location.hash.slice(1));
    if (!/^s\d+-\d+$/.test(id)) return;
    var marks = document.querySelectorAll("mark[data-s]");
    var first = null;
    for (var j = 0; j < marks.length; j++) {
      if (marks[j].getAttribute("data-s").split(" ").indexOf(id) >= 0) {
        marks[j].classList.add("hit");
        if (!first) first = marks[j];
      }
    }
    if (first && first.scrollIntoView) first.scrollIntoView({block: "center"});
  }
  window.addEventListener("hashchange", light);
  document.addEventListener("DOMContentLoaded", light);
})();
