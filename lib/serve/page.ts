/**
 * The web page at `/`: verify two photos, search the gallery with one, enroll one with a name.
 * Self-contained (no external script or style), talking to the JSON API with multipart forms.
 */
export const PAGE_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>vgg2-torch faces</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:15px system-ui,sans-serif;max-width:900px;margin:2em auto;padding:0 1em;color:#222}
section{border:1px solid #ccc;border-radius:8px;padding:1em;margin:1em 0}
.drop{border:2px dashed #999;border-radius:6px;padding:1em;display:inline-block;min-width:180px;text-align:center}
.drop.over{background:#eef}
img.preview{max-width:160px;max-height:160px;display:block;margin:.5em auto}
output{display:block;margin-top:.8em;font-weight:600}
table{border-collapse:collapse}td,th{padding:.2em .8em;border-bottom:1px solid #ddd}
.error{color:#b00}
img.thumb{width:64px;height:64px;border-radius:4px}
</style></head><body>
<h1>Face verification and search</h1>
<section id="verify"><h2>Verify: same person?</h2>
<label class="drop">First photo<input type="file" accept="image/*" name="a"><img class="preview"></label>
<label class="drop">Second photo<input type="file" accept="image/*" name="b"><img class="preview"></label>
<p><button id="verify-go">Compare</button></p><output id="verify-out"></output></section>
<section id="search"><h2>Search the gallery</h2>
<label class="drop">Photo<input type="file" accept="image/*" name="image"><img class="preview"></label>
<label>k <input type="number" id="search-k" value="5" min="1" max="100"></label>
<p><button id="search-go">Search</button></p><output id="search-out"></output></section>
<section id="enroll"><h2>Enroll</h2>
<label class="drop">Photo(s)<input type="file" accept="image/*" name="image" multiple><img class="preview"></label>
<p><label>Name <input id="enroll-id"></label> <label>Token <input id="enroll-token" type="password"></label>
<label><input type="checkbox" id="enroll-replace"> replace</label></p>
<p><button id="enroll-go">Enroll</button></p><output id="enroll-out"></output></section>
<script>
for (const drop of document.querySelectorAll('.drop')) {
  const input = drop.querySelector('input'), img = drop.querySelector('img');
  const show = () => { if (input.files[0]) img.src = URL.createObjectURL(input.files[0]); };
  input.addEventListener('change', show);
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over');
    input.files = e.dataTransfer.files; show(); });
}
const text = (s) => String(s).replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) + ';');
async function post(url, form, headers) {
  const r = await fetch(url, { method: 'POST', body: form, headers });
  const body = await r.json().catch(() => ({ error: r.statusText }));
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}
function files(section) { return [...document.querySelectorAll('#' + section + ' input[type=file]')]; }
function run(id, work) {
  const out = document.getElementById(id + '-out');
  out.className = ''; out.textContent = 'working...';
  work().then((html) => { out.innerHTML = html; }, (e) => { out.className = 'error'; out.textContent = e.message; });
}
document.getElementById('verify-go').onclick = () => run('verify', async () => {
  const f = new FormData();
  for (const i of files('verify')) { if (!i.files[0]) throw new Error('choose two photos'); f.append(i.name, i.files[0]); }
  const r = await post('/verify', f);
  const verdict = r.same === null ? '' : r.same ? ' — same person' : ' — different people';
  return 'similarity <span id="similarity">' + r.similarity.toFixed(4) + '</span>' + verdict;
});
document.getElementById('search-go').onclick = () => run('search', async () => {
  const [i] = files('search'); if (!i.files[0]) throw new Error('choose a photo');
  const f = new FormData(); f.append('image', i.files[0]); f.append('k', document.getElementById('search-k').value);
  const r = await post('/search', f);
  const thumb = (id) => '<img class="thumb" alt="" src="/identities/' + encodeURIComponent(id) +
    '/thumbnail" onerror="this.remove()">';
  const rows = r.hits.map((h) => '<tr><td>' + thumb(h.id) + '</td><td>' + text(h.id) + '</td><td>' +
    h.score.toFixed(4) + '</td></tr>').join('');
  return (r.unknown ? '<p>unknown: nobody above the threshold</p>' : '') +
    '<table id="hits"><tr><th></th><th>identity</th><th>score</th></tr>' + rows + '</table>';
});
document.getElementById('enroll-go').onclick = () => run('enroll', async () => {
  const [i] = files('enroll'); if (!i.files.length) throw new Error('choose a photo');
  const f = new FormData(); f.append('id', document.getElementById('enroll-id').value);
  if (document.getElementById('enroll-replace').checked) f.append('replace', 'true');
  for (const file of i.files) f.append('image', file);
  const r = await post('/enroll', f, { Authorization: 'Bearer ' + document.getElementById('enroll-token').value });
  return 'enrolled ' + text(r.id) + ' (' + r.images + ' images); gallery: ' + r.identities + ' identities';
});
</script></body></html>
`;
