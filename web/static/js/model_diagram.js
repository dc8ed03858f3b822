// Model pages: each .model-diagram draws a BPMN (bpmn-js viewer) and marks elements by kind — problem, added,
// removed, changed — from JSON {xml, markers: {id: kind}} read at data-url or from the data island data-source.
(function () {
  "use strict";
  if (!window.BpmnJS) { return; }
  Array.prototype.forEach.call(document.querySelectorAll(".model-diagram"), draw);

  function draw(host) {
    var status = document.getElementById(host.dataset.status);
    load(host)
      .then(function (found) {
        var viewer = new window.BpmnJS({ container: host });
        return viewer.importXML(found.xml).then(function () {
          var canvas = viewer.get("canvas"), registry = viewer.get("elementRegistry"), marked = 0;
          Object.keys(found.markers || {}).forEach(function (id) {
            if (registry.get(id)) { canvas.addMarker(id, "phva-" + found.markers[id]); marked += 1; }
          });
          canvas.zoom("fit-viewport", "auto");
          var svg = host.querySelector(".djs-container > svg");
          if (svg) { svg.setAttribute("role", "img"); svg.setAttribute("aria-label", host.dataset.label || "Diagrama"); }
          host.dataset.ready = "true";
          host.dataset.marked = String(marked);
        });
      })
      .catch(function (error) {
        if (status) { status.textContent = "No se pudo mostrar el diagrama (" + error.message + ")."; }
        host.dataset.ready = "error";
      });
  }

  function load(host) {
    if (host.dataset.source) {
      var island = document.getElementById(host.dataset.source);
      return Promise.resolve(JSON.parse(island.textContent));
    }
    return fetch(host.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      });
  }
})();
