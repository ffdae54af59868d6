/* covmap report.html: hover tips, technique panels and filters over the inline heatmap.
   Every text from the data goes into the page through textContent or attribute setters,
   never as HTML. */
(function () {
  "use strict";

  var source = document.getElementById("covmap-data");
  var svg = document.getElementById("heatmap");
  if (!source) {
    return;
  }
  var data = JSON.parse(source.textContent);
  var FUNCTIONS = ["detect", "protect", "respond", "visibility"];
  var LEVEL_LABELS = { none: "No coverage", low: "Low", medium: "Medium", high: "High" };

  var techniques = {};
  data.techniques.forEach(function (t) { techniques[t.id] = t; });
  var gaps = {};
  data.gaps.forEach(function (g) { gaps[g.id] = g; });
  var tacticNames = {};
  data.tactics.forEach(function (t) { tacticNames[t.shortname] = t.name; });
  /* Contributions name their capability by id; each name is in the data once. */
  var capabilityNames = {};
  data.capabilities.forEach(function (c) { capabilityNames[c.id] = c.name; });

  /* ---------- small DOM helpers (text only) ---------- */

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    return node;
  }

  function add(parent) {
    for (var i = 1; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === null || child === undefined) {
        continue;
      }
      parent.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return parent;
  }

  function percent(score) {
    return (score * 100).toFixed(1) + "%";
  }

  /* The page of an ATT&CK object; only IDs of the expected shape get a link. */
  function attackUrl(id) {
    var m = /^(T|TA|M|G|S|C|DET|DS)(\d+)(?:\.(\d+))?$/.exec(id);
    if (!m || (m[3] && m[1] !== "T")) {
      return null;
    }
    var sections = {
      T: "techniques", TA: "tactics", M: "mitigations", G: "groups", S: "software",
      C: "campaigns", DET: "detectionstrategies", DS: "datasources"
    };
    return "https://attack.mitre.org/" + sections[m[1]] + "/" + m[1] + m[2] + (m[3] ? "/" + m[3] : "") + "/";
  }

  function link(id, text) {
    var url = attackUrl(id);
    if (!url) {
      return el("span", null, text);
    }
    var a = el("a", null, text);
    a.setAttribute("href", url);
    a.setAttribute("target", "_blank");
    a.setAttribute("rel", "noopener noreferrer");
    return a;
  }

  function openButton(id) {
    var b = el("button", "open", id);
    b.type = "button";
    b.setAttribute("data-open", id);
    return b;
  }

  function levelBadge(level) {
    return el("span", "badge lvl-" + level, level);
  }

  function bar(score) {
    var outer = el("span", "bar");
    var fill = el("span", "bar-fill");
    fill.style.width = (Math.max(0, Math.min(1, score)) * 100).toFixed(1) + "%";
    outer.appendChild(fill);
    return outer;
  }

  function tacticList(shortnames) {
    return shortnames.map(function (s) { return tacticNames[s] || s; }).join(", ");
  }

  /* ---------- what a cell is ---------- */

  function state(t) {
    if (!t.in_scope) {
      return "Out of scope: " + (t.exclusion_reason || "not assessed");
    }
    if (t.score > 0) {
      return LEVEL_LABELS[t.level] + " coverage";
    }
    if (t.parent_level_only.length || t.parent_evidence.length) {
      return "Covered at parent level only: verify per sub-technique";
    }
    return "No coverage";
  }

  /* Capability ids that contribute to a technique (a parent: through its sub-techniques or
     its parent-level evidence). */
  var contributorsCache = {};
  function contributors(t) {
    if (contributorsCache[t.id]) {
      return contributorsCache[t.id];
    }
    var ids = {};
    t.capabilities.forEach(function (c) { ids[c.id] = true; });
    t.parent_evidence.forEach(function (c) { ids[c.id] = true; });
    t.subtechniques.forEach(function (sid) {
      var s = techniques[sid];
      if (s) {
        s.capabilities.forEach(function (c) { ids[c.id] = true; });
      }
    });
    contributorsCache[t.id] = ids;
    return ids;
  }

  /* ---------- hover tip ---------- */

  var tip = document.getElementById("tip");

  function showTip(t, event) {
    if (!tip) {
      return;
    }
    tip.textContent = "";
    add(tip,
      add(el("div"), el("span", "tip-id", t.id), " ", el("span", "tip-name", t.name)),
      el("div", "tip-line", "Score " + percent(t.score) + " · " + state(t)),
      el("div", "tip-line", tacticList(t.tactics)));
    if (data.threats && t.in_scope) {
      add(tip, el("div", "tip-line", "Used by " + t.weight + " selected threat" + (t.weight === 1 ? "" : "s")));
    }
    tip.hidden = false;
    moveTip(event);
  }

  function moveTip(event) {
    if (!tip || tip.hidden) {
      return;
    }
    var x = event.clientX + 14;
    var y = event.clientY + 14;
    var w = tip.offsetWidth;
    var h = tip.offsetHeight;
    if (x + w > window.innerWidth - 8) {
      x = event.clientX - w - 14;
    }
    if (y + h > window.innerHeight - 8) {
      y = event.clientY - h - 14;
    }
    tip.style.left = Math.max(4, x) + "px";
    tip.style.top = Math.max(4, y) + "px";
  }

  function hideTip() {
    if (tip) {
      tip.hidden = true;
    }
  }

  /* ---------- technique panel ---------- */

  var panel = document.getElementById("panel");
  var panelId = document.getElementById("panel-id");
  var panelName = document.getElementById("panel-name");
  var panelBody = document.getElementById("panel-body");
  var selected = null;

  function contributionTable(list) {
    var table = el("table");
    add(table, add(el("tr"), el("th", null, "Capability"), el("th", null, "Function"),
      el("th", "num", "Value"), el("th", null, "Entries")));
    list.forEach(function (c) {
      add(table, add(el("tr"),
        add(el("td"), el("div", null, capabilityNames[c.id] || c.id), el("div", "entries", c.id)),
        el("td", null, c.function),
        el("td", "num", percent(c.value)),
        el("td", "entries", c.entries.join(", "))));
    });
    return table;
  }

  function refList(refs) {
    var ul = el("ul", "refs");
    refs.forEach(function (r) {
      var li = el("li");
      add(li, link(r.id, r.id + " " + r.name));
      ul.appendChild(li);
    });
    return ul;
  }

  function openPanel(id) {
    var t = techniques[id];
    if (!t || !panel) {
      return;
    }
    hideTip();
    panelId.textContent = t.id;
    panelName.textContent = t.name;
    var body = panelBody;
    body.textContent = "";

    var head = add(el("div", "panel-score"), el("span", "big", percent(t.score)), levelBadge(t.level));
    var url = attackUrl(t.id);
    if (url) {
      add(head, link(t.id, "View on attack.mitre.org ↗"));
    }
    add(body, head);

    if (!t.in_scope) {
      add(body, el("div", "callout info", "Out of scope: " + (t.exclusion_reason || "not assessed") +
        ". It does not count in any score; the score shown is what it would have."));
    } else if (t.score === 0 && (t.parent_level_only.length || t.parent_evidence.length)) {
      add(body, el("div", "callout warn", "Covered at parent level only: verify per sub-technique."));
    }

    var facts = el("dl", "facts");
    function fact(label, value) {
      add(facts, el("dt", null, label), add(el("dd"), value));
    }
    if (t.parent) {
      var parent = techniques[t.parent];
      fact("Sub-technique of", add(el("span"), openButton(t.parent), " ", parent ? parent.name : ""));
    }
    fact("Tactics", tacticList(t.tactics));
    fact("Platforms in scope", t.platforms.length ? t.platforms.join(", ") : "none");
    fact("In scope", t.in_scope ? "yes" : "no");
    if (data.threats) {
      fact("Threat weight", "used by " + t.weight + " selected threat" + (t.weight === 1 ? "" : "s"));
    }
    var gap = gaps[t.id];
    if (gap) {
      fact("Gap rank", "#" + gap.rank + " (priority " + t.gap_priority.toFixed(2) + ")");
    }
    add(body, facts);

    /* Scores per function, and per platform. */
    add(body, el("h4", null, t.leaf ? "Scores by function and platform" : "Scores by function (rolled up)"));
    var platforms = t.platforms;
    var table = el("table");
    var header = add(el("tr"), el("th", null, "Function"), el("th", "num", "Score"));
    platforms.forEach(function (p) { add(header, el("th", "num", p)); });
    add(table, header);
    FUNCTIONS.forEach(function (f) {
      var result = t.functions[f];
      var row = add(el("tr"), el("td", null, f.charAt(0).toUpperCase() + f.slice(1)),
        add(el("td", "num"), percent(result.score), " ", bar(result.score)));
      platforms.forEach(function (p) {
        var v = result.platforms[p];
        add(row, el("td", "num", v === undefined ? "–" : percent(v)));
      });
      add(table, row);
    });
    add(body, table);

    if (t.capabilities.length) {
      add(body, el("h4", null, "Contributing capabilities"), contributionTable(t.capabilities));
    } else if (t.leaf) {
      add(body, el("h4", null, "Contributing capabilities"), el("p", "muted", "None of the counted capabilities covers it."));
    }
    if (t.parent_evidence.length) {
      add(body, el("h4", null, "Parent-level evidence (shown, never scores)"), contributionTable(t.parent_evidence));
    }
    if (t.parent_level_only.length) {
      add(body, el("h4", null, "Claimed at parent level only"),
        el("p", null, t.parent_level_only.join(", ") + ": verify per sub-technique."));
    }
    if (t.subtechniques.length) {
      add(body, el("h4", null, "Sub-techniques"));
      var subs = el("table");
      t.subtechniques.forEach(function (sid) {
        var s = techniques[sid];
        if (!s) {
          return;
        }
        add(subs, add(el("tr"), add(el("td"), openButton(s.id)), el("td", null, s.name),
          add(el("td", "num"), s.in_scope ? percent(s.score) : "out of scope")));
      });
      add(body, subs);
    }

    if (gap) {
      add(body, el("h4", null, "What would close the gap"));
      gap.notes.forEach(function (n) { add(body, el("div", "callout warn", n)); });
      add(body, el("div", "muted", "Mitigations"));
      add(body, gap.mitigations.length ? refList(gap.mitigations) : el("p", "muted", "none in ATT&CK"));
      add(body, el("div", "muted", "Detection strategies"));
      add(body, gap.detection_strategies.length ? refList(gap.detection_strategies) : el("p", "muted", "none in ATT&CK"));
      if (gap.threats.length) {
        add(body, el("h4", null, "Selected threats that use it"), refList(gap.threats));
      }
    }

    panel.hidden = false;
    markSelected(t.id);
    panelBody.scrollTop = 0;
  }

  function closePanel() {
    if (panel) {
      panel.hidden = true;
    }
    markSelected(null);
  }

  function markSelected(id) {
    if (!svg) {
      return;
    }
    if (selected) {
      svg.querySelectorAll(".cell.selected").forEach(function (c) { c.classList.remove("selected"); });
    }
    selected = id;
    if (id) {
      svg.querySelectorAll(".cell").forEach(function (c) {
        if (c.getAttribute("data-id") === id) {
          c.classList.add("selected");
        }
      });
    }
  }

  /* ---------- wiring ---------- */

  var cells = svg ? Array.prototype.slice.call(svg.querySelectorAll("g.cell")) : [];
  cells.forEach(function (cell) {
    var t = techniques[cell.getAttribute("data-id")];
    /* The custom tip replaces the SVG's native title tooltip on screen. */
    var title = cell.querySelector("title");
    if (title && t) {
      cell.setAttribute("aria-label", title.textContent);
      title.parentNode.removeChild(title);
    }
    cell.setAttribute("tabindex", "0");
    cell.setAttribute("role", "button");
  });

  function cellOf(event) {
    var target = event.target;
    return target && target.closest ? target.closest("g.cell") : null;
  }

  if (svg) {
    svg.addEventListener("mouseover", function (event) {
      var cell = cellOf(event);
      var t = cell && techniques[cell.getAttribute("data-id")];
      if (t) {
        showTip(t, event);
      }
    });
    svg.addEventListener("mousemove", moveTip);
    svg.addEventListener("mouseout", function (event) {
      if (cellOf(event)) {
        hideTip();
      }
    });
    svg.addEventListener("click", function (event) {
      var cell = cellOf(event);
      if (cell) {
        openPanel(cell.getAttribute("data-id"));
      }
    });
    svg.addEventListener("keydown", function (event) {
      var cell = cellOf(event);
      if (cell && (event.key === "Enter" || event.key === " ")) {
        event.preventDefault();
        openPanel(cell.getAttribute("data-id"));
      }
    });
  }

  document.addEventListener("click", function (event) {
    var target = event.target && event.target.closest ? event.target.closest("[data-open]") : null;
    if (target) {
      openPanel(target.getAttribute("data-open"));
    }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      closePanel();
    }
  });
  var close = document.getElementById("panel-close");
  if (close) {
    close.addEventListener("click", closePanel);
  }
  var fit = document.getElementById("fit-toggle");
  var frame = document.getElementById("heatmap-frame");
  if (fit && frame) {
    fit.addEventListener("click", function () {
      var on = frame.classList.toggle("fit");
      fit.setAttribute("aria-pressed", on ? "true" : "false");
      fit.textContent = on ? "Actual size" : "Fit to width";
    });
  }
  var printButton = document.getElementById("print-button");
  if (printButton) {
    printButton.addEventListener("click", function () { window.print(); });
  }

  /* ---------- filters ---------- */

  var tacticBoxes = Array.prototype.slice.call(document.querySelectorAll("#filter-tactics input"));
  var platformSelect = document.getElementById("filter-platform");
  var capabilitySelect = document.getElementById("filter-capability");
  var status = document.getElementById("filter-status");
  var columns = svg ? buildColumns() : null;

  /* The heatmap's columns: the elements marked with a tactic, wrapped in one group each so a
     column can be hidden and the ones after it moved left into its place. */
  function buildColumns() {
    var byTactic = {};
    var order = [];
    Array.prototype.slice.call(svg.querySelectorAll("[data-tactic]")).forEach(function (node) {
      if (node.parentNode && node.parentNode.closest && node.parentNode.closest("[data-tactic]")) {
        return;
      }
      var tactic = node.getAttribute("data-tactic");
      if (!byTactic[tactic]) {
        byTactic[tactic] = { tactic: tactic, nodes: [], x: Infinity };
        order.push(tactic);
      }
      byTactic[tactic].nodes.push(node);
    });
    var svgBox = svg.getBoundingClientRect();
    var viewBox = svg.viewBox && svg.viewBox.baseVal;
    var scale = viewBox && viewBox.width && svgBox.width ? viewBox.width / svgBox.width : 1;
    var list = order.map(function (tactic) {
      var col = byTactic[tactic];
      col.nodes.forEach(function (node) {
        var box = node.getBoundingClientRect();
        if (box.width > 0) {
          col.x = Math.min(col.x, (box.left - svgBox.left) * scale);
        }
      });
      return col;
    }).filter(function (col) { return isFinite(col.x); });
    list.sort(function (a, b) { return a.x - b.x; });
    var ns = "http://www.w3.org/2000/svg";
    list.forEach(function (col) {
      var group = document.createElementNS(ns, "g");
      group.setAttribute("class", "column");
      group.setAttribute("data-column", col.tactic);
      var first = col.nodes[0];
      first.parentNode.insertBefore(group, first);
      col.nodes.forEach(function (node) { group.appendChild(node); });
      col.group = group;
    });
    var original = viewBox && viewBox.width ? {
      x: viewBox.x, y: viewBox.y, width: viewBox.width, height: viewBox.height,
      attrWidth: svg.getAttribute("width")
    } : null;
    return { list: list, original: original };
  }

  function layoutColumns(shown) {
    if (!columns || !columns.list.length) {
      return;
    }
    var slot = 0;
    var list = columns.list;
    list.forEach(function (col) {
      var visible = shown[col.tactic] !== false;
      col.group.style.display = visible ? "" : "none";
      if (visible) {
        var shift = list[slot].x - col.x;
        if (shift) {
          col.group.setAttribute("transform", "translate(" + shift + " 0)");
        } else {
          col.group.removeAttribute("transform");
        }
        slot += 1;
      }
    });
    var original = columns.original;
    if (original) {
      var removed = slot > 0 ? list[list.length - 1].x - list[slot - 1].x : 0;
      var width = Math.max(1, original.width - removed);
      svg.setAttribute("viewBox", [original.x, original.y, width, original.height].join(" "));
      var attr = parseFloat(original.attrWidth);
      if (attr) {
        svg.setAttribute("width", String(Math.round(attr * width / original.width)));
      }
    }
  }

  function applyFilters() {
    var shown = {};
    tacticBoxes.forEach(function (box) { shown[box.value] = box.checked; });
    layoutColumns(shown);
    var platform = platformSelect ? platformSelect.value : "";
    var capability = capabilitySelect ? capabilitySelect.value : "";
    var total = 0;
    var matching = 0;
    cells.forEach(function (cell) {
      var t = techniques[cell.getAttribute("data-id")];
      var visible = shown[cell.getAttribute("data-tactic")] !== false;
      var match = true;
      if (t && platform && t.platforms.indexOf(platform) < 0) {
        match = false;
      }
      var contributes = Boolean(t && capability && contributors(t)[capability]);
      if (capability && !contributes) {
        match = false;
      }
      cell.classList.toggle("dim", !match);
      cell.classList.toggle("hl", contributes && match);
      if (visible) {
        total += 1;
        if (match) {
          matching += 1;
        }
      }
    });
    if (status) {
      status.textContent = platform || capability
        ? matching + " of " + total + " cells match"
        : total + " cells";
    }
  }

  tacticBoxes.forEach(function (box) { box.addEventListener("change", applyFilters); });
  if (platformSelect) {
    platformSelect.addEventListener("change", applyFilters);
  }
  if (capabilitySelect) {
    capabilitySelect.addEventListener("change", applyFilters);
  }
  var reset = document.getElementById("filter-reset");
  if (reset) {
    reset.addEventListener("click", function () {
      tacticBoxes.forEach(function (box) { box.checked = true; });
      if (platformSelect) {
        platformSelect.value = "";
      }
      if (capabilitySelect) {
        capabilitySelect.value = "";
      }
      applyFilters();
    });
  }
  applyFilters();
})();
