"""The web page ``/`` of ``--serve``: the live stream and the latest reading, polled.

A token given in the page's URL (``/?token=...``) is passed on to the stream and the
reading it fetches.
"""

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
 body { margin: 0; font-family: system-ui, sans-serif; background: #16181d; color: #e8e8e8; }
 header { padding: 10px 16px; background: #22252c; font-size: 18px; }
 header small { color: #9aa0aa; margin-left: 8px; }
 * { box-sizing: border-box; }
 main { display: flex; flex-wrap: wrap; gap: 16px; padding: 16px; align-items: flex-start; }
 #video { flex: 0 1 640px; max-width: 640px; min-width: 0; border-radius: 6px; background: #000; }
 #panel { flex: 1 1 160px; min-width: 160px; background: #22252c; border-radius: 6px;
          padding: 12px 16px; }
 #digits { font-size: 56px; font-weight: 600; letter-spacing: 8px; min-height: 68px; }
 .rejected { color: #ff8c00; }
 table { border-collapse: collapse; margin-top: 8px; }
 td { padding: 2px 8px 2px 0; color: #c8ccd4; vertical-align: top; }
 td:first-child { color: #9aa0aa; }
 #status { margin-top: 10px; color: #9aa0aa; font-size: 13px; }
</style></head>
<body>
<header>{title}<small>digits read live by an int8 TFLite CNN</small></header>
<main>
 <img id="video" alt="annotated camera stream">
 <div id="panel">
  <div>Reading</div>
  <div id="digits">&ndash;</div>
  <table>
   <tr><td>confidence</td><td id="conf">&ndash;</td></tr>
   <tr><td>frame</td><td id="frame">&ndash;</td></tr>
   <tr><td>FPS</td><td id="fps">&ndash;</td></tr>
   <tr><td>latency</td><td id="latency">&ndash;</td></tr>
  </table>
  <div id="status">connecting&hellip;</div>
 </div>
</main>
<script>
const $ = (id) => document.getElementById(id);
const auth = new URLSearchParams(location.search).get("token");
const q = auth ? "?token=" + encodeURIComponent(auth) : "";
$("video").src = "/stream.mjpg" + q;
function show(d) {
  const box = $("digits");
  box.textContent = "";
  if (!d.digits || d.digits.length === 0) { box.textContent = "\\u2013"; }
  // one row per line, its numbers apart, an unread digit as an orange "?"
  const all = (d.digits || []).map((_, i) => i);
  const lines = d.lines || [{ digits: all, numbers: [all.map(() => "x").join("")] }];
  for (const line of lines) {
    const row = document.createElement("div");
    let k = 0;
    line.numbers.forEach((number, n) => {
      if (n > 0) row.appendChild(document.createTextNode(" "));
      for (let j = 0; j < number.length; j++, k++) {
        const r = d.digits[line.digits[k]];
        const span = document.createElement("span");
        span.textContent = r.digit === null ? "?" : String(r.digit);
        if (r.digit === null) span.className = "rejected";
        row.appendChild(span);
      }
    });
    box.appendChild(row);
  }
  const conf = (d.digits || []).map(r => (100 * r.confidence).toFixed(0) + "%");
  $("conf").textContent = conf.join("  ") || "\\u2013";
  $("frame").textContent = d.frame === null ? "\\u2013" : d.frame;
  $("fps").textContent = d.fps ? d.fps.toFixed(1) : "\\u2013";
  $("latency").textContent = d.latency_ms ? d.latency_ms.toFixed(1) + " ms" : "\\u2013";
  $("status").textContent = d.ended ? "source ended" : "live";
}
async function poll() {
  try {
    const r = await fetch("/latest.json" + q, { cache: "no-store" });
    show(await r.json());
  } catch (e) {
    $("status").textContent = "disconnected";
  }
  setTimeout(poll, 300);
}
poll();
</script>
</body></html>
"""
