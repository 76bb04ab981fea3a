// The plate page: scrub the proxy frame by frame, see every boundary on the timeline, correct cuts.
import { call, element, notice } from "/static/api.js";
import { offsetTimecode } from "/static/timecode.js";

const root = document.getElementById("plate");
const plateId = root.dataset.plate;
const base = `/api/v1/plates/${plateId}`;
const video = document.getElementById("proxy");
const canvas = document.getElementById("timeline");
const SHUTTLE_RATES = [1, 2, 4, 8];
const POLL_MS = 2000;
const page = { frame: 0, frameCount: 1, rate: { num: 24, den: 1 }, version: null, latest: null,
               published: new Map(), manifest: null, scores: null, strips: [], shuttle: 0, timer: null };
window.platecut = page;  // for the browser tests and the curious (page.seek(frame) too)

const text = (id, value) => { document.getElementById(id).textContent = value; };

async function load() {
  const [plate, versions] = await Promise.all([call("GET", base), call("GET", `${base}/cut-versions`)]);
  text("plate-state", plate.state);
  document.getElementById("plate-state").className = `state state-${plate.state}`;
  page.plate = plate;
  page.versions = versions;
  renderVersions(versions);
  if (versions.latest === null) {
    text("version-line", "No cuts yet: the split has not succeeded.");
    return;
  }
  const shown = Number(new URLSearchParams(location.search).get("version")) || versions.latest;
  const [version, cuts] = await Promise.all([call("GET", `${base}/cut-versions/${shown}`),
                                             call("GET", `${base}/cuts`)]);
  page.version = version;
  page.latest = versions.latest;
  page.frameCount = version.frame_count;
  page.published = new Map(cuts.items.map((cut) => [cut.first_frame, cut]));
  text("version-line", `· cut version ${version.number}${version.number === versions.published ? " (published)" : ""}` +
       `${versions.publishing ? ` · publishing version ${versions.publishing}` : ""} · ${version.items.length} cuts`);
  await loadManifest();
  renderCuts();
  renderSuspicious();
  seek(page.frame);
}

async function loadManifest() {
  if (page.manifest) return;
  try {
    const link = await call("GET", `${base}/manifest?redirect=false`);
    const response = await fetch(link.url);
    if (!response.ok) throw new Error(`manifest: HTTP ${response.status}`);
    page.manifest = await response.json();
  } catch {  // the cuts are shown without it: no frame rate, transitions or review files
    notice("The plate's manifest could not be read: no proxy, timeline scores or timecodes.");
    return;
  }
  const rate = page.manifest.plate.frame_rate;
  page.rate = { num: rate.num, den: rate.den };
  await loadReview(page.manifest.review);
}

async function loadReview(review) {
  if (!review) { document.getElementById("no-proxy").hidden = false; return; }
  const url = async (route) => (await call("GET", `${base}/review/${route}?redirect=false`)).url;
  video.src = await url("proxy");
  video.hidden = false;
  page.strips = await Promise.all(review.strips.map(async (sheet, i) => ({ ...sheet, url: await url(`strips/${i + 1}`) })));
  try { page.scores = await (await fetch(await url("scores"))).json(); } catch { page.scores = null; }
  drawTimeline();
  triptych();
}

// ---- where a frame is ----
function cutAt(frame) {
  const items = page.version?.items ?? [];
  let low = 0, high = items.length - 1;
  while (low < high) {  // the last cut starting at or before the frame
    const mid = (low + high + 1) >> 1;
    if (items[mid].first_frame <= frame) low = mid; else high = mid - 1;
  }
  return items[low];
}

page.seek = (frame) => seek(frame);

function seek(frame) {
  page.frame = Math.max(0, Math.min(page.frameCount - 1, Math.round(frame)));
  if (!video.hidden && video.readyState > 0) {
    video.currentTime = (page.frame + 0.5) * page.rate.den / page.rate.num;  // mid-frame: exact
  }
  readout();
  drawTimeline();
  triptych();
}

function readout() {
  const cut = cutAt(page.frame);
  text("frame", page.frame);
  if (!cut) return;
  const row = page.published.get(cut.first_frame);
  const offset = page.frame - cut.first_frame;
  text("frame-number", row?.media_in != null ? row.media_in + offset : "–");
  const rate = page.rate;
  text("source-tc", row?.source_tc_in ? offsetTimecode(row.source_tc_in, offset, rate.num, rate.den) : "–");
  text("cut-name", `${cut.order} ${cut.name}`);
  const current = document.querySelector(`#cuts tbody tr[data-order="${cut.order}"]`);
  if (current !== page.currentRow) {  // only the rows that change: a seek costs the same with 1,500 cuts
    page.currentRow?.classList.remove("current");
    current?.classList.add("current");
    page.currentRow = current;
  }
}

// ---- the outgoing, cut and incoming frames, from the strip sheets ----
function tile(frame) {
  const sheet = page.strips.find((s) => frame >= s.first_frame && frame < s.first_frame + s.frames);
  const box = element("div", { class: "tile" });
  if (!sheet) return box;
  const k = frame - sheet.first_frame;
  box.style.width = `${sheet.tile_width}px`;
  box.style.height = `${sheet.tile_height}px`;
  box.style.backgroundImage = `url("${sheet.url}")`;
  box.style.backgroundPosition = `-${(k % sheet.columns) * sheet.tile_width}px -${Math.floor(k / sheet.columns) * sheet.tile_height}px`;
  return box;
}

function triptych() {
  const holder = document.getElementById("triptych");
  const cut = cutAt(page.frame);
  if (!cut || page.strips.length === 0) { holder.replaceChildren(); return; }
  const at = cut.first_frame === 0 ? page.frame : cut.first_frame;
  if (holder.dataset.at === String(at)) return;
  holder.dataset.at = String(at);
  const figure = (frame, label, cls) => element("figure", { class: cls }, tile(frame), element("figcaption", {}, `${label} ${frame}`));
  holder.replaceChildren(figure(Math.max(0, at - 1), "out", "out"), figure(at, "cut", "cutframe"),
                         figure(Math.min(page.frameCount - 1, at + 1), "in", "in"));
}

// ---- the timeline: what does not move drawn once (per version, width and scores), then the playhead ----
function drawTimeline() {
  const width = canvas.clientWidth || 800;
  const key = `${page.version?.number}:${width}:${page.scores ? 1 : 0}:${page.manifest ? 1 : 0}`;
  if (page.timelineKey !== key) {
    page.timeline = drawStatic(width, canvas.height);
    page.timelineKey = key;
  }
  if (canvas.width !== width) canvas.width = width;
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, width, canvas.height);
  ctx.drawImage(page.timeline, 0, 0);
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(Math.floor((page.frame / page.frameCount) * width), 0, 2, canvas.height);
}

function drawStatic(width, height) {
  const layer = document.createElement("canvas");
  layer.width = width;
  layer.height = height;
  const ctx = layer.getContext("2d");
  const x = (frame) => (frame / page.frameCount) * width;
  if (page.scores?.scores) {
    const values = page.scores.scores;
    ctx.strokeStyle = "#6a7b8c";
    ctx.beginPath();
    values.forEach((v, f) => { const px = x(f), py = height - 8 - v * (height - 24); f ? ctx.lineTo(px, py) : ctx.moveTo(px, py); });
    ctx.stroke();
    if (page.scores.threshold != null) {
      const ty = height - 8 - page.scores.threshold * (height - 24);
      ctx.strokeStyle = "#805020"; ctx.setLineDash([4, 4]); ctx.beginPath(); ctx.moveTo(0, ty); ctx.lineTo(width, ty); ctx.stroke(); ctx.setLineDash([]);
    }
  }
  ctx.fillStyle = "rgba(240,160,48,0.25)";
  for (const t of page.manifest?.transitions ?? []) ctx.fillRect(x(t.first_frame), 0, Math.max(1, x(t.last_frame + 1) - x(t.first_frame)), height);
  for (const cut of page.version?.items ?? []) {
    ctx.fillStyle = cut.detected_by === "editor" ? "#f0a030" : "#4fc3f7";
    ctx.fillRect(Math.floor(x(cut.first_frame)), 0, 1, height);
  }
  ctx.fillStyle = "#ff7043";
  for (const s of page.version?.suspicious ?? []) {
    if (s.dismissed) continue;
    const px = x(s.frame);
    ctx.beginPath(); ctx.moveTo(px - 5, 0); ctx.lineTo(px + 5, 0); ctx.lineTo(px, 9); ctx.fill();
  }
  return layer;
}

canvas.addEventListener("pointerdown", (event) => {
  const pick = (e) => seek((e.offsetX / canvas.clientWidth) * page.frameCount);
  pick(event);
  canvas.onpointermove = (e) => { if (e.buttons) pick(e); };
});

// ---- the cut table ----
function renderCuts() {
  const body = document.querySelector("#cuts tbody");
  body.replaceChildren(...page.version.items.map((cut) => {
    const row = page.published.get(cut.first_frame);
    const sameCut = row && row.last_frame === cut.last_frame && row.name === cut.name;
    const thumb = row ? element("img", { class: "thumb", loading: "lazy", alt: "",
                                         src: `${base}/cuts/${row.index}/thumbnail` }) : "";
    const name = element("td", { class: "name", title: "Double-click to rename" }, cut.name);
    name.addEventListener("dblclick", () => rename(cut, name));
    const srcTc = row?.source_tc_in ? `${row.source_tc_in}–${row.source_tc_out ?? ""}` : "";
    return element("tr", { "data-order": cut.order, onclick: () => seek(cut.first_frame) },
      element("td", {}, cut.order), element("td", {}, thumb), name,
      element("td", {}, `${cut.first_frame}–${cut.last_frame}`),
      element("td", {}, sameCut && row.cut_in != null ? `${row.cut_in}–${row.cut_out}` : ""),
      element("td", {}, srcTc), element("td", {}, cut.detected_by),
      element("td", {}, sameCut ? row.confidence.toFixed(2) : ""),
      element("td", {}, sameCut && row.media_key !== null ? element("a", { href: `${base}/cuts/${row.index}/media` }, "media") : ""));
  }));
}

function renderSuspicious() {
  const list = document.getElementById("suspicious");
  if (!page.version.suspicious?.length) { list.replaceChildren(element("li", { class: "hint" }, "None.")); return; }
  list.replaceChildren(...page.version.suspicious.map((s) => element("li", { class: "suspicious" },
    element("a", { href: "#", onclick: (e) => { e.preventDefault(); seek(s.frame); } }, `frame ${s.frame}`), ` ${s.reason} `,
    s.dismissed ? "(dismissed)" : element("span", {},
      element("button", { onclick: () => save([{ op: "accept", frame: s.frame }]) }, "Accept as cut"), " ",
      element("button", { onclick: () => save([{ op: "dismiss", frame: s.frame }]) }, "Dismiss")))));
}

function renderVersions(versions) {
  document.getElementById("versions").replaceChildren(...versions.items.map((v) => element("li",
    { class: v.published ? "published" : "" },
    element("a", { href: `?version=${v.number}` }, `v${v.number}`),
    ` ${v.origin === "detected" ? "detected by the job" : `corrected by ${v.author}`}, ` +
    `${new Date(v.created_at).toLocaleString()} · ${v.cuts} cuts`,
    v.edits.length ? ` · ${v.edits.map((e) => e.op).join(", ")}` : "",
    v.published ? " · published" : "", v.publishing ? " · publishing…" : "")));
}

// ---- corrections ----
async function save(edits) {
  if (page.version.number !== page.latest) { notice(`You are viewing version ${page.version.number}; corrections apply to the latest (${page.latest}).`); return; }
  try {
    const saved = await call("POST", `${base}/cut-versions`, { base_version: page.latest, edits });
    history.replaceState(null, "", location.pathname);
    await load();  // the page shows the new version before it says so: nothing acts on the old one
    notice(`Saved as version ${saved.number}.`, "info");
  } catch (problem) {
    const reload = problem.code === "stale_version" ? " Reload the page to see it." : "";
    notice(`${problem.message}${reload}`);
  }
}

function rename(cut, cell) {
  const input = element("input", { value: cut.name, "aria-label": "New name" });
  cell.replaceChildren(input);
  input.focus();
  input.select();
  input.addEventListener("keydown", (e) => {
    e.stopPropagation();
    if (e.key === "Enter") save([{ op: "rename", order: cut.order, name: input.value }]);
    if (e.key === "Escape") cell.replaceChildren(cut.name);
  });
}

function splitHere() { save([{ op: "split", frame: page.frame }]); }
function mergeHere() { const cut = cutAt(page.frame); if (cut) save([{ op: "merge", order: cut.order }]); }
function moveBoundary(by) {
  const cut = cutAt(page.frame);
  if (cut) save([{ op: "move", order: cut.order, by }]).then(() => seek(page.frame + by));
}

async function publish() {
  try {
    await call("POST", `${base}/cut-versions/${page.latest}/publish`);
    notice(`Publishing version ${page.latest}: a job writes its cut media and editorial files.`, "info");
    poll();
  } catch (problem) { notice(problem.message); }
}

function poll() {
  clearTimeout(page.timer);
  page.timer = setTimeout(async () => {
    const plate = await call("GET", base);
    text("plate-state", plate.state);
    document.getElementById("plate-state").className = `state state-${plate.state}`;
    if (["queued", "running", "uploaded"].includes(plate.state)) { poll(); return; }
    notice(plate.state === "succeeded" ? "Published." : `The job ended ${plate.state}: ${plate.state_reason ?? ""}`,
           plate.state === "succeeded" ? "info" : "error");
    page.manifest = null;
    await load();
  }, POLL_MS);
}

async function redetect(event) {
  event.preventDefault();
  const form = new FormData(event.target);
  const detector = {};
  for (const name of ["min_score", "cut_ratio"]) if (form.get(name)) detector[name] = Number(form.get(name));
  const region = String(form.get("region") || "").trim();
  const body = { detector, burnin_regions: region ? [region.split(",").map(Number)] : [], ocr: !form.get("no_ocr") };
  try {
    await call("POST", `${base}/redetect`, body);
    notice("Detecting again: the result becomes a new cut version.", "info");
    poll();
  } catch (problem) { notice(problem.message); }
}

// ---- keyboard: arrows step, J/K/L shuttle, S split, M merge ----
function shuttle(direction) {
  clearInterval(page.shuttleTimer);
  if (direction === 0) { page.shuttle = 0; return; }
  const same = Math.sign(page.shuttle) === direction;
  const step = same ? Math.min(SHUTTLE_RATES.length - 1, Math.abs(page.shuttle)) : 0;
  page.shuttle = direction * (step + 1);
  const fps = page.rate.num / page.rate.den;
  const speed = SHUTTLE_RATES[step];
  page.shuttleTimer = setInterval(() => {
    seek(page.frame + direction * Math.max(1, Math.round(speed * fps / 24)));
    if (page.frame === 0 || page.frame === page.frameCount - 1) shuttle(0);
  }, 1000 / 24);
}

function nextCut(direction) {
  const items = page.version?.items ?? [];
  const cut = cutAt(page.frame);
  const target = items[(cut?.order ?? 1) - 1 + direction];
  if (target) seek(target.first_frame);
}

const KEYS = {
  ArrowLeft: () => seek(page.frame - 1), ArrowRight: () => seek(page.frame + 1),
  Home: () => seek(0), End: () => seek(page.frameCount - 1),
  PageUp: () => nextCut(-1), PageDown: () => nextCut(1),
  j: () => shuttle(-1), k: () => shuttle(0), l: () => shuttle(1),
  s: splitHere, m: mergeHere,
};

document.addEventListener("keydown", (event) => {
  if ((event.target instanceof Element && event.target.closest("input, select, textarea")) || event.ctrlKey || event.metaKey || event.altKey) return;
  const action = KEYS[event.key] ?? KEYS[event.key.toLowerCase()];
  if (!action) return;
  event.preventDefault();
  action();
});

document.getElementById("split").addEventListener("click", splitHere);
document.getElementById("merge").addEventListener("click", mergeHere);
document.getElementById("earlier").addEventListener("click", () => moveBoundary(-1));
document.getElementById("later").addEventListener("click", () => moveBoundary(1));
document.getElementById("publish").addEventListener("click", publish);
document.getElementById("redetect").addEventListener("submit", redetect);
video.addEventListener("loadedmetadata", () => seek(page.frame));
window.addEventListener("resize", drawTimeline);
load().then(() => { page.ready = true; }).catch((problem) => notice(problem.message));
