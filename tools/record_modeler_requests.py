"""Record the HTTP requests Camunda Modeler 5's deploy and start buttons send, as raw bytes.

Camunda Modeler runs in Electron (Chromium): its CamundaAPI builds the deploy request with the browser's
FormData and fetch. This page does the same calls in Debian's chromium (same FormData order, Blob types and
headers as CamundaAPI.deployDiagram / startInstance / checkConnection / getVersion in
client/src/plugins/camunda-plugin/shared/), against a loopback server that writes each request, headers and
body byte for byte, to tests/web/data/camunda_modeler/. Run `python tools/record_modeler_requests.py`.
"""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "web" / "data" / "camunda_modeler"
DIAGRAM = OUT / "modeler_demo.bpmn"
ATTACHMENTS = [OUT / "modeler_demo_decision.dmn", OUT / "modeler_demo_form.form"]
AUTH = "Basic " + base64.b64encode(b"analista1:clave-segura-1").decode()
PAGE = """<!doctype html><meta charset="utf-8"><script>
const base = location.origin + '/engine-rest';
const headers = (extra) => ({...extra, accept: 'application/json', authorization: AUTH});
async function record(name, path, options) {
  await fetch(base + path + (path.includes('?') ? '&' : '?') + 'record=' + name,
              {...options, headers: headers(options.headers || {})});
}
async function run(diagram, attachments) {
  await record('check_connection', '/deployment?maxResults=0', {});
  await record('version', '/version', {});
  const form = new FormData();
  form.append('deployment-name', 'modeler_demo');
  form.append('deployment-source', 'Camunda Modeler');
  form.append('enable-duplicate-filtering', 'true');
  form.append(diagram.name, new Blob([diagram.contents], {type: 'text/xml'}), diagram.name);
  attachments.forEach(f => form.append(f.name, new Blob([f.contents]), f.name));
  await record('deploy', '/deployment/create', {method: 'POST', body: form});
  await record('start', '/process-definition/PROCESS_DEFINITION_ID/start', {method: 'POST',
    body: JSON.stringify({businessKey: 'MODELER-1', variables: {
      asunto: {value: 'Prueba desde el Modeler', type: 'String'}, prioridad: {value: 3, type: 'Integer'},
      urgente: {value: true, type: 'Boolean'}, monto: {value: 12.5, type: 'Double'},
      datos: {value: '{"canal": "web"}', type: 'Json'}}}),
    headers: {'content-type': 'application/json'}});
  document.title = 'done';
}
</script>"""


class Recorder(BaseHTTPRequestHandler):
    def _record(self) -> None:
        path, _, query = self.path.partition("?")
        params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
        name = params.pop("record", None)
        if name is None:
            body = PAGE.replace("AUTH", json.dumps(AUTH)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        rest = "&".join(f"{k}={v}" for k, v in params.items())
        target = path + (f"?{rest}" if rest else "")
        head = f"{self.command} {target} HTTP/1.1\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in self.headers.items() if k.lower() not in ("host", "origin", "referer")
        )
        (OUT / f"{name}.http").write_bytes(head.encode() + b"\r\n" + body)
        self.send_response(204)
        self.end_headers()

    do_GET = do_POST = _record

    def log_message(self, *args: object) -> None:
        pass


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    files = [{"name": p.name, "contents": p.read_text(encoding="utf-8")} for p in ATTACHMENTS]
    diagram = {"name": DIAGRAM.name, "contents": DIAGRAM.read_text(encoding="utf-8")}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{server.server_port}/")
        page.evaluate("([d, a]) => run(d, a)", [diagram, files])
        page.wait_for_function("document.title === 'done'")
        browser.close()
    server.shutdown()
    print("recorded:", ", ".join(sorted(p.name for p in OUT.glob("*.http"))))


if __name__ == "__main__":
    main()
