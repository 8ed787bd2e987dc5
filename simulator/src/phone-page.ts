/**
 * The virtual phone: plain HTML and inline JS served at `/__sim/phone`. Pick a number, read
 * the texts it received, type a reply that is injected as an inbound SMS (this is how to try
 * STOP / START / HELP in the demo). Text is always inserted with textContent, never as HTML.
 */
const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Virtual phone — Infobip simulator</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; margin: 0; background: #eef1f5; color: #1d2330; }
  main { max-width: 420px; margin: 24px auto; background: #fff; border-radius: 18px;
         box-shadow: 0 4px 24px #0002; display: flex; flex-direction: column; height: 86vh; }
  header { padding: 14px 16px; border-bottom: 1px solid #dde2ea; display: grid; gap: 6px; }
  label { font-size: 12px; color: #5b6577; }
  input, select, button { font: inherit; padding: 6px 8px; border: 1px solid #c5ccd8; border-radius: 8px; }
  #thread { flex: 1; overflow-y: auto; padding: 12px; display: flex; flex-direction: column; gap: 8px; }
  .bubble { max-width: 78%; padding: 8px 12px; border-radius: 14px; white-space: pre-wrap; word-wrap: break-word; }
  .received { align-self: flex-start; background: #e4e8ef; }
  .sent { align-self: flex-end; background: #2f6fed; color: #fff; }
  .meta { font-size: 11px; opacity: .7; margin-top: 2px; }
  form { display: flex; gap: 6px; padding: 10px; border-top: 1px solid #dde2ea; }
  form input { flex: 1; }
  button { background: #2f6fed; color: #fff; border: none; cursor: pointer; }
  .empty { color: #8a93a3; text-align: center; margin-top: 40%; }
</style>
</head>
<body>
<main>
  <header>
    <label>This phone's number
      <input id="number" list="phones" placeholder="e.g. 41793026727" autocomplete="off">
      <datalist id="phones"></datalist>
    </label>
    <label>Reply to (the account's number)
      <input id="to" list="inbound" placeholder="number the texts came from" autocomplete="off">
      <datalist id="inbound"></datalist>
    </label>
  </header>
  <div id="thread"><p class="empty">Pick a number to see its texts.</p></div>
  <form id="reply">
    <input id="text" placeholder="Type a reply, e.g. STOP" autocomplete="off">
    <button type="submit">Send</button>
  </form>
</main>
<script>
const base = location.pathname.replace(/\\/phone\\/?$/, '');
const $ = (id) => document.getElementById(id);
let lastRender = '';

function fill(list, values) {
  list.replaceChildren(...values.map((v) => { const o = document.createElement('option'); o.value = v; return o; }));
}

async function refreshNumbers() {
  const res = await fetch(base + '/phone/numbers');
  const data = await res.json();
  fill($('phones'), data.phones);
  fill($('inbound'), data.inboundNumbers);
}

async function refreshThread() {
  const number = $('number').value.trim();
  if (!number) return;
  const res = await fetch(base + '/phone/conversation?number=' + encodeURIComponent(number));
  const items = await res.json();
  const key = JSON.stringify(items);
  if (key === lastRender) return;
  lastRender = key;
  const thread = $('thread');
  if (items.length === 0) {
    const p = document.createElement('p'); p.className = 'empty'; p.textContent = 'No texts yet.';
    thread.replaceChildren(p);
    return;
  }
  thread.replaceChildren(...items.map((item) => {
    const div = document.createElement('div');
    div.className = 'bubble ' + item.direction;
    div.textContent = item.text;
    const meta = document.createElement('div');
    meta.className = 'meta';
    meta.textContent = (item.direction === 'received' ? 'from ' : 'to ') + item.peer + ' · ' +
      new Date(item.at).toLocaleTimeString() + ' · ' + item.status;
    div.appendChild(meta);
    return div;
  }));
  thread.scrollTop = thread.scrollHeight;
  const lastReceived = items.filter((i) => i.direction === 'received').pop();
  if (lastReceived && !$('to').value) $('to').value = lastReceived.peer;
}

$('number').addEventListener('change', () => { lastRender = ''; $('to').value = ''; refreshThread(); });
$('reply').addEventListener('submit', async (event) => {
  event.preventDefault();
  const from = $('number').value.trim();
  const to = $('to').value.trim();
  const text = $('text').value;
  if (!from || !to || !text) { alert('Pick this phone\\'s number, the number to reply to, and type a text.'); return; }
  const res = await fetch(base + '/inbound', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ from, to, text }),
  });
  if (!res.ok) { alert('Could not send: ' + (await res.text())); return; }
  $('text').value = '';
  refreshThread();
});

refreshNumbers();
setInterval(() => { refreshNumbers(); refreshThread(); }, 1000);
</script>
</body>
</html>
`;

export function phonePage(): string {
  return PAGE;
}
