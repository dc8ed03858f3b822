// Instance diagram: bpmn-js viewer + markers (completed, active, overdue) + due badges.
(function () {
  "use strict";
  var host = document.getElementById("diagrama");
  var status = document.getElementById("diagrama-estado");
  if (!host || !window.BpmnJS) { return; }
  var viewer = new window.BpmnJS({ container: host, keyboard: { bindTo: host } });
  host.tabIndex = 0;

  fetch(host.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    })
    .then(function (found) {
      return viewer.importXML(found.xml).then(function () { mark(found); });
    })
    .catch(function (error) {
      status.textContent = "No se pudo mostrar el diagrama (" + error.message + ").";
    });

  function mark(found) {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    var overlays = viewer.get("overlays");
    canvas.zoom("fit-viewport", "auto");
    function add(ids, marker) {
      ids.forEach(function (id) {
        if (registry.get(id)) { canvas.addMarker(id, marker); }
      });
    }
    add(found.completed, "phva-completed");
    add(found.active, "phva-active");
    add(found.overdue, "phva-overdue");
    add(found.incidents, "phva-incident");
    found.badges.forEach(function (badge) {
      if (!registry.get(badge.id)) { return; }
      var el = document.createElement("span");
      el.className = "phva-badge" + (badge.overdue ? " overdue" : "");
      el.textContent = badge.label;
      el.title = badge.title;
      overlays.add(badge.id, { position: { bottom: 4, left: 0 }, html: el });
    });
    host.dataset.ready = "true";
    status.textContent = found.active.length + " pendiente(s), " + found.completed.length + " realizada(s), "
      + found.overdue.length + " vencida(s).";
  }
})();
