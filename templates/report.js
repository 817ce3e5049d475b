(function () {
  "use strict";
  var body = document.body;
  var boxes = document.querySelectorAll("input[data-sev]");
  var search = document.getElementById("q");
  var shown = document.getElementById("shown");
  function apply() {
    var hidden = {};
    for (var i = 0; i < boxes.length; i++) {
      var sev = boxes[i].getAttribute("data-sev");
      hidden[sev] = !boxes[i].checked;
      body.classList.toggle("hide-" + sev, hidden[sev]);
    }
    var q = search ? search.value.toLowerCase().trim() : "";
    var findings = document.querySelectorAll(".finding");
    for (var j = 0; j < findings.length; j++) {
      var f = findings[j];
      var match = q === "" || f.textContent.toLowerCase().indexOf(q) !== -1;
      f.classList.toggle("nomatch", !match);
      f.visibleNow = match && !hidden[f.getAttribute("data-sev")];
    }
    var total = 0;
    var groups = document.querySelectorAll("[data-group]");
    for (var k = 0; k < groups.length; k++) {
      var n = 0;
      var items = groups[k].querySelectorAll(".finding");
      for (var m = 0; m < items.length; m++) { if (items[m].visibleNow) { n++; } }
      groups[k].classList.toggle("empty", n === 0);
      if (groups[k].getAttribute("data-group") === "family") { total += n; }
    }
    if (shown) { shown.textContent = String(total); }
  }
  for (var b = 0; b < boxes.length; b++) { boxes[b].addEventListener("change", apply); }
  if (search) { search.addEventListener("input", apply); }
  function setAll(open) {
    var ds = document.querySelectorAll("#findings details");
    for (var i = 0; i < ds.length; i++) { ds[i].open = open; }
  }
  var ex = document.getElementById("expand");
  var co = document.getElementById("collapse");
  if (ex) { ex.addEventListener("click", function () { setAll(true); }); }
  if (co) { co.addEventListener("click", function () { setAll(false); }); }
  apply();
})();
