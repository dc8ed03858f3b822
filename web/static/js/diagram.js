// Instance diagram: bpmn-js viewer, markers (completed, active, overdue, incident) and due badges. It opens
// on the current activities, inside the collapsed subprocess that holds them when they are all in one, with
// zoom buttons and a way back to the whole process. A called process's task is marked on its call activity.
(function () {
  "use strict";
  var host = document.getElementById("diagrama");
  var status = document.getElementById("diagrama-estado");
  var tools = document.getElementById("diagrama-vista");
  if (!host || !tools || !window.BpmnJS) { return; }
  var MIN_ZOOM = 0.2, MAX_ZOOM = 4, STEP = 1.25;
  var MARGIN = 80, CRUMBS = 60;  // diagram units around what is shown; pixels under bpmn-js's breadcrumbs
  var SPANISH = { "Open {element}": "Abrir «{element}»" };
  var spanish = { translate: ["value", translate] };
  var viewer = new window.BpmnJS({ container: host, additionalModules: [spanish] });
  var canvas = viewer.get("canvas");
  var registry = viewer.get("elementRegistry");
  var top, drawn, current = [], summary = "", framed = {};

  fetch(host.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    })
    .then(function (found) {
      return viewer.importXML(found.xml).then(function () { show(found); });
    })
    .catch(function (error) {
      status.textContent = "No se pudo mostrar el diagrama (" + error.message + ").";
    });

  function translate(template, replacements) {
    return (SPANISH[template] || template).replace(/{([^}]+)}/g, function (_, key) {
      return replacements && key in replacements ? replacements[key] : "{" + key + "}";
    });
  }

  function show(found) {
    top = canvas.getRootElement();
    var called = found.called_in || {};  // a called process's task stands on its call activity
    drawn = function (id) { return registry.get(id) || registry.get(called[id]); };
    current = unique(found.active.concat(found.overdue, found.incidents).map(drawn).filter(Boolean));
    summary = found.active.length + " pendiente(s), " + found.completed.length + " realizada(s), "
      + found.overdue.length + " vencida(s).";
    mark(found);
    var svg = host.querySelector(".djs-container > svg");  // bpmn-js makes it focusable
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", host.dataset.label);
    svg.addEventListener("keydown", keys);
    var events = viewer.get("eventBus");
    events.on("root.set", 250, function (event) { opened(event.element); });  // after bpmn-js's own centring
    events.on("canvas.viewbox.changed", function (event) { zoomed(event.viewbox.scale); });
    tools.addEventListener("click", act);
    Array.prototype.forEach.call(tools.querySelectorAll("button"), function (b) { b.disabled = false; });
    var roots = unique(current.map(function (element) { return canvas.findRoot(element); }));
    if (roots.length === 1 && roots[0] !== top) {
      canvas.setRootElement(roots[0]);
    } else {
      opened(top);
    }
    zoomed(canvas.zoom());
    host.dataset.ready = "true";
  }

  function act(event) {
    var action = event.target.closest("[data-vista]");
    var name = action && action.dataset.vista;
    if (name === "acercar") { zoom(canvas.zoom() * STEP); }
    if (name === "alejar") { zoom(canvas.zoom() / STEP); }
    if (name === "ajustar") { canvas.zoom("fit-viewport", "auto"); }
    if (name === "volver") { canvas.setRootElement(top); }
  }

  // Arrows move the diagram (bpmn-js wants Ctrl with them), + and - zoom, 0 fits it.
  function keys(event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var moves = { ArrowLeft: [1, 0], ArrowRight: [-1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
    var step = event.shiftKey ? 200 : 50;
    var move = moves[event.key];
    if (move) { canvas.scroll({ dx: move[0] * step, dy: move[1] * step }); }
    else if (event.key === "+") { zoom(canvas.zoom() * STEP); }
    else if (event.key === "-") { zoom(canvas.zoom() / STEP); }
    else if (event.key === "0") { canvas.zoom("fit-viewport", "auto"); }
    else { return; }
    event.preventDefault();
  }

  function mark(found) {
    function add(ids, marker) {
      ids.forEach(function (id) {
        var element = marker === "phva-completed" ? registry.get(id) : drawn(id);
        if (!element) { return; }
        canvas.addMarker(element, marker);
        var outer = shownIn(element, top);  // the collapsed subprocess that holds it, on the main plane
        if (outer && outer !== element && marker !== "phva-completed") { canvas.addMarker(outer, marker); }
      });
    }
    add(found.completed, "phva-completed");
    add(found.active, "phva-active");
    add(found.overdue, "phva-overdue");
    add(found.incidents, "phva-incident");
    var overlays = viewer.get("overlays");
    found.badges.forEach(function (badge) {
      var element = registry.get(badge.id);
      if (!element) { return; }
      var place = badgePlace(element);
      var el = document.createElement("span");
      el.className = "phva-badge" + (badge.overdue ? " overdue" : "") + place.side;
      el.textContent = badge.label;
      el.title = badge.title;
      overlays.add(element, { position: place.position, html: el });
    });
  }

  // Under an event's label, on the side away from the event (two boundary events keep theirs apart); under a
  // task, or above it when boundary events and their labels sit below.
  function badgePlace(element) {
    var label = element.label;
    if (label) {
      var left = label.x + label.width / 2 < element.x + element.width / 2;
      var x = (left ? label.x + label.width : label.x) - element.x;
      var y = label.y + label.height + 2 - element.y;
      return { position: { top: y, left: x }, side: left ? " to-left" : "" };
    }
    if (element.attachers && element.attachers.length) {
      return { position: { top: -4, left: 0 }, side: " above" };
    }
    return { position: { top: element.height + 4, left: 0 }, side: "" };
  }

  // What stands for an element on the plane of `root`: itself, the collapsed subprocess around it, or none.
  function shownIn(element, root) {
    var seen = element;
    while (seen) {
      var plane = canvas.findRoot(seen);
      if (plane === root) { return seen; }
      var shape = plane && plane.businessObject && registry.get(plane.businessObject.id);
      seen = shape && shape !== plane ? shape : null;
    }
    return null;
  }

  function opened(root) {
    if (!framed[root.id]) { framed[root.id] = true; frame(root); }
    var inside = root !== top;
    host.dataset.plane = root.id;
    tools.querySelector('[data-vista="volver"]').hidden = !inside;
    var here = current.filter(function (element) { return canvas.findRoot(element) === root; }).length;
    var name = root.businessObject.name || root.id;
    status.textContent = summary
      + (inside ? " Se muestra el subproceso «" + name + "»: " + here + " actividad(es) actual(es)." : "");
  }

  // The first time a plane opens: its current activities centred, at 100 % or less so that they all fit;
  // with none there, the whole plane.
  function frame(root) {
    var shown = unique(current.map(function (element) { return shownIn(element, root); }).filter(Boolean));
    if (!shown.length) { canvas.zoom("fit-viewport", "auto"); return; }
    var box = shown.reduce(function (b, e) {
      return {
        x: Math.min(b.x, e.x), y: Math.min(b.y, e.y),
        right: Math.max(b.right, e.x + e.width), bottom: Math.max(b.bottom, e.y + e.height)
      };
    }, { x: Infinity, y: Infinity, right: -Infinity, bottom: -Infinity });
    var outer = canvas.viewbox().outer;
    var reserved = root === top ? 0 : CRUMBS;
    var scale = Math.max(MIN_ZOOM, Math.min(1,
      outer.width / (box.right - box.x + 2 * MARGIN),
      (outer.height - reserved) / (box.bottom - box.y + 2 * MARGIN)));
    var width = outer.width / scale, height = outer.height / scale;
    var cx = (box.x + box.right) / 2, cy = (box.y + box.bottom) / 2 - reserved / scale / 2;
    canvas.viewbox({ x: cx - width / 2, y: cy - height / 2, width: width, height: height });
  }

  function zoom(scale) { canvas.zoom(Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, scale)), "auto"); }

  function zoomed(scale) {
    host.dataset.zoom = scale.toFixed(3);
    tools.querySelector('[data-vista="acercar"]').disabled = scale >= MAX_ZOOM - 0.001;
    tools.querySelector('[data-vista="alejar"]').disabled = scale <= MIN_ZOOM + 0.001;
  }

  function unique(items) {
    return items.filter(function (item, index) { return items.indexOf(item) === index; });
  }
})();
